// A batch's events as JSON, written once per append: the event documents
// (event-docs.ts) and the live feed's page (feed-pages.ts) both hold it.
import type { RunEvent } from '@agentrpc/core';

const texts = new WeakMap<RunEvent[], string>();

/** `JSON.stringify(events)`, computed once per array (an append's arrays are not changed after). */
export function eventsJson(events: RunEvent[]): string {
  let text = texts.get(events);
  if (text === undefined) {
    text = JSON.stringify(events);
    texts.set(events, text);
  }
  return text;
}
