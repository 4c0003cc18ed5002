import { MemoryStore, type RunEvent, type Store } from '@agentrpc/core';
import { runFixture, sessionFixture } from '@agentrpc/core/testing';
import { describe, expect, it } from 'vitest';
import { followRun } from './follow-run.ts';

const content = (runId: string, seq: number): RunEvent => ({
  type: 'run.content',
  runId,
  seq,
  createdAt: 0,
  delta: `${seq}`,
});

describe('followRun', () => {
  it('yields the log in order and waits at a gap instead of spinning', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'running' });
    await store.appendRun(run);
    await store.appendEvents(run, [
      content(run.runId, 1),
      content(run.runId, 2),
      content(run.runId, 4),
    ]);
    let reads = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'readEvents') reads++;
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const signal = AbortSignal.timeout(350);
    const seen: number[] = [];
    for await (const event of followRun({
      store: counting,
      hubOf: () => undefined,
      userId: 'u',
      runId: run.runId,
      afterSeq: 0,
      signal,
    })) {
      seen.push(event.seq);
    }
    expect(seen).toEqual([1, 2]);
    // One read per poll (every 100 ms), not thousands.
    expect(reads).toBeLessThanOrEqual(6);
  });

  it('ends after the terminal event, and at once for a finished run with nothing new', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'completed', lastSeq: 2 });
    await store.appendRun(run);
    const done: RunEvent = {
      type: 'run.completed',
      runId: run.runId,
      seq: 2,
      createdAt: 0,
      output: run,
    };
    await store.appendEvents(run, [content(run.runId, 1), done]);
    const all: number[] = [];
    for await (const event of followRun({
      store,
      hubOf: () => undefined,
      userId: 'u',
      runId: run.runId,
      afterSeq: 0,
    }))
      all.push(event.seq);
    expect(all).toEqual([1, 2]);
    const after: number[] = [];
    for await (const event of followRun({
      store,
      hubOf: () => undefined,
      userId: 'u',
      runId: run.runId,
      afterSeq: 2,
    }))
      after.push(event.seq);
    expect(after).toEqual([]);
  });
});
