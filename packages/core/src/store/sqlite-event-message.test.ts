import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../run/events.ts';
import { contentEvent } from '../testing/store-conformance.ts';
import { eventRowsOfTexts, eventRowsTexts } from './sqlite-event-message.ts';
import { toEventRows } from './sqlite-event-rows.ts';
import type { EventBatch } from './types.ts';

describe('the event write text', () => {
  it('gives back the rows toEventRows makes, whatever the ids and events hold', () => {
    const odd = 'u\t1\n"x"\\';
    const summary: RunEvent = {
      type: 'session.summary.updated',
      runId: 'r\n2',
      seq: 3,
      createdAt: 5,
      summary: 'line one\nline\ttwo',
    };
    const batches: EventBatch[] = [
      {
        key: { userId: odd, runId: 'r1' },
        events: [contentEvent('r1', 1, 'a\nb'), contentEvent('r1', 2, '\t"\u2028')],
      },
      { key: { userId: 'u2', runId: 'r\n2' }, events: [] },
      { key: { userId: 'u2', runId: 'r\n2' }, events: [contentEvent('r\n2', 2, ''), summary] },
      // A seq JSON cannot spell travels as the store would keep it.
      { key: { userId: 'u3', runId: 'r3' }, events: [contentEvent('r3', Number.NaN, 'n')] },
    ];
    const texts = eventRowsTexts(batches);
    expect(texts).toHaveLength(1);
    expect(eventRowsOfTexts(texts)).toEqual(toEventRows(batches));
    expect(eventRowsOfTexts([])).toEqual([]);
  });

  it('sends a large write as several texts of whole lines', () => {
    const key = { userId: 'u', runId: 'r' };
    const long = 'x'.repeat(100_000);
    const batches: EventBatch[] = [
      { key, events: [contentEvent('r', 1, long), contentEvent('r', 2, long)] },
      { key: { userId: 'u', runId: 'r2' }, events: [contentEvent('r2', 1, 'a')] },
    ];
    const texts = eventRowsTexts(batches);
    // The run's line, each long event on its own, then the next run.
    expect(texts).toHaveLength(4);
    for (const text of texts) expect(text.endsWith('\n')).toBe(true);
    expect(texts[3]?.length).toBeLessThan(200);
    expect(eventRowsOfTexts(texts)).toEqual(toEventRows(batches));
    // Runs with many small events share texts up to the size.
    const many = Array.from({ length: 2_000 }, (_, i) => contentEvent('r', i + 1, 'abcd'));
    const shared = eventRowsTexts([{ key, events: many }]);
    expect(shared.length).toBeGreaterThan(1);
    expect(shared.length).toBeLessThan(10);
    expect(eventRowsOfTexts(shared)).toEqual(toEventRows([{ key, events: many }]));
  });

  it('refuses a text that is cut short or not its own', () => {
    const [text = ''] = eventRowsTexts([
      { key: { userId: 'u', runId: 'r' }, events: [contentEvent('r', 1, 'a')] },
    ]);
    expect(() => eventRowsOfTexts([text.slice(0, -1)])).toThrow(/cut short/);
    expect(() => eventRowsOfTexts(['"u"\t"r"\t2\n1\t{}\n'])).toThrow(/fewer events/);
    expect(() => eventRowsOfTexts(['"u"\t"r"\n'])).toThrow(/run line/);
    expect(() => eventRowsOfTexts(['"u"\t"r"\t1\nno seq\n'])).toThrow(/no seq/);
    expect(() => eventRowsOfTexts(['u\t"r"\t0\n'])).toThrow(SyntaxError);
  });
});
