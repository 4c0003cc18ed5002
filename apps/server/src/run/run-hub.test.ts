import type { RunEvent } from '@agentrpc/core';
import { contentEvent } from '@agentrpc/core/testing';
import { describe, expect, it } from 'vitest';
import { RunHub } from './run-hub.ts';

describe('RunHub', () => {
  it('lets go of stored events and keeps counting seqs from where it is', () => {
    const hub = new RunHub();
    expect(hub.firstSeq).toBe(Number.POSITIVE_INFINITY); // nothing yet: read the log
    for (const seq of [3, 4, 5]) hub.push(contentEvent('r', seq)); // a continued run
    expect(hub.firstSeq).toBe(3);
    hub.trimThrough(4);
    expect(hub.events.map((event) => event.seq)).toEqual([5]);
    expect(hub.firstSeq).toBe(5);
    // Stored past what it holds (the terminal event is stored before it is pushed).
    hub.trimThrough(7);
    expect(hub.events).toEqual([]);
    expect(hub.firstSeq).toBe(6);
    expect(hub.last?.seq).toBe(5);
    const done = { type: 'run.cancelled', runId: 'r', seq: 6, createdAt: 0 } as RunEvent;
    hub.push(done);
    expect(hub.firstSeq).toBe(6);
    expect(hub.last).toBe(done);
    expect(hub.done).toBe(true);
  });

  it('keeps the latest stored events it is asked to keep', () => {
    const hub = new RunHub();
    for (const seq of [1, 2, 3, 4, 5]) hub.push(contentEvent('r', seq));
    hub.trimThrough(4, 3);
    expect(hub.events.map((event) => event.seq)).toEqual([3, 4, 5]);
    hub.trimThrough(2, 1); // stored already let go of: nothing more to do
    expect(hub.firstSeq).toBe(3);
    hub.trimThrough(5, 1);
    expect(hub.events.map((event) => event.seq)).toEqual([5]);
  });
});
