// A write of the event log as it goes to the event worker: text rather than
// an object per run and an array per event. Posting a message copies it into
// the worker value by value: as objects, a write of 500 streaming runs (some
// 5,000 values) cost the event loop 0.7–0.85 ms every interval and the worker
// 0.6–0.7 ms to take in; as text, which is copied whole, 0.46–0.53 and
// 0.37–0.53 ms (bench:event-handover, docs/performance-notes.md).
//
// The text has a line per run, then a line per event of that run:
//   <userId as JSON>\t<runId as JSON>\t<events>\n
//   <seq>\t<event as stored>\n
// JSON never holds a raw line break or tab, so neither can end a field early.

import type { EventRows } from './sqlite-event-rows.ts';
import { storedEventText } from './stored-events.ts';
import type { EventBatch } from './types.ts';

/**
 * Texts of about this many characters at most, but for a line longer on its
 * own: a large write goes as several, so neither thread makes one string of
 * its whole size.
 */
const pieceChars = 1 << 16;

/** The batches' events in the store's text form, as texts for the worker (whole lines each). */
export function eventRowsTexts(batches: readonly EventBatch[]): string[] {
  const texts: string[] = [];
  let text = '';
  const add = (line: string) => {
    if (text.length > 0 && text.length + line.length > pieceChars) {
      texts.push(text);
      text = '';
    }
    text += line;
  };
  for (const { key, events } of batches) {
    add(`${JSON.stringify(key.userId)}\t${JSON.stringify(key.runId)}\t${events.length}\n`);
    for (const event of events) add(`${event.seq}\t${storedEventText(event)}\n`);
  }
  if (text.length > 0) texts.push(text);
  return texts;
}

function badText(detail: string): Error {
  return new Error(`the event write's text is malformed: ${detail}`);
}

/** The rows of texts made by eventRowsTexts; throws on texts it did not make. */
export function eventRowsOfTexts(texts: readonly string[]): EventRows[] {
  const rows: EventRows[] = [];
  let row: EventRows | undefined;
  /** Events of `row` still to come. */
  let left = 0;
  for (const text of texts) {
    let at = 0;
    while (at < text.length) {
      const end = text.indexOf('\n', at);
      if (end < 0) throw badText('a line is cut short');
      const line = text.slice(at, end);
      at = end + 1;
      if (row && left > 0) {
        const tab = line.indexOf('\t');
        if (tab < 0) throw badText('an event line has no seq');
        row.events.push([Number(line.slice(0, tab)), line.slice(tab + 1)]);
        left--;
        continue;
      }
      const [userId, runId, count, extra] = line.split('\t');
      left = Number(count);
      if (extra !== undefined || !Number.isInteger(left) || left < 0) {
        throw badText('a run line is not <user>\\t<run>\\t<events>');
      }
      row = {
        userId: JSON.parse(userId as string) as string,
        runId: JSON.parse(runId as string) as string,
        events: [],
      };
      rows.push(row);
    }
  }
  if (left > 0) throw badText('a run has fewer events than it says');
  return rows;
}
