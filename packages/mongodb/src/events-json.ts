// A batch's events as JSON, written once per append: the event documents
// (event-docs.ts) and the live feed's page (feed-pages.ts) both hold it. It is
// the stores' text form, deltas without their run's id (core's stored-events.ts).
import type { RunEvent } from '@agentrpc/core';
import { storedEventsText } from '@agentrpc/core/internal';

const texts = new WeakMap<RunEvent[], string>();

/** The events' text, computed once per array (an append's arrays are not changed after). */
export function eventsJson(events: RunEvent[]): string {
  let text = texts.get(events);
  if (text === undefined) {
    text = storedEventsText(events);
    texts.set(events, text);
  }
  return text;
}
