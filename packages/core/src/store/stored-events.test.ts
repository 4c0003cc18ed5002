import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../run/events.ts';
import { storedEventsText, storedEventText, withRunId } from './stored-events.ts';

const read = (text: string, runId: string) =>
  (JSON.parse(text) as RunEvent[]).map((event) => withRunId(event, runId));

describe('stored events', () => {
  const runId = '0b6c3f0e-8d4c-4a57-9a43-2f1f4b8f0c11';
  const events: RunEvent[] = [
    { type: 'run.content', runId, seq: 1, createdAt: 1_764_690_000_000, delta: 'a "q"\n\\' },
    { type: 'run.reasoning', runId, seq: 2, createdAt: 1, delta: 'é🙂\u2028\u0000' },
    { type: 'tool.started', runId, seq: 3, createdAt: 2, toolCallId: 'c', name: 'n', args: {} },
  ];

  it("leaves a delta's run id out and reads every event back whole", () => {
    const text = storedEventsText(events);
    expect(storedEventText(events[0] as RunEvent)).not.toContain(runId);
    expect(storedEventText(events[1] as RunEvent)).not.toContain(runId);
    // Other events are few and varied: kept whole.
    expect(storedEventText(events[2] as RunEvent)).toBe(JSON.stringify(events[2]));
    expect(read(text, runId)).toEqual(events);
    // Texts written with the id in every event read the same.
    expect(read(JSON.stringify(events), 'another')).toEqual(events);
  });

  it('keeps a delta whose numbers JSON cannot spell whole, so its text stays readable', () => {
    const odd = { type: 'run.content', runId, seq: 4, createdAt: Number.NaN, delta: 'x' } as const;
    expect(storedEventText(odd)).toBe(JSON.stringify(odd));
    expect(read(storedEventsText([odd]), runId)).toEqual([{ ...odd, createdAt: null }]);
  });
});
