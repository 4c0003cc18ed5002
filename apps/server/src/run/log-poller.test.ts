import type { Store } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import { storeWithRunningRuns } from '../test-support/running-runs.ts';
import { LogPoller } from './log-poller.ts';

/** Counts the store's event and record reads, one per call whatever it reads. */
function counted(store: Store) {
  const calls = { batches: 0, single: 0, records: 0 };
  const wrapped: Store = Object.create(store);
  wrapped.getRuns = (keys) => {
    calls.records++;
    return store.getRuns!(keys);
  };
  wrapped.readEventBatches = (queries) => {
    calls.batches++;
    return store.readEventBatches!(queries);
  };
  wrapped.readEvents = (query) => {
    calls.single++;
    return store.readEvents(query);
  };
  return { store: wrapped, calls };
}

describe('LogPoller', () => {
  it('reads every waiting reader’s run in one store call, each after its own seq', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(3, 2);
    const { store, calls } = counted(inner);
    const poller = new LogPoller({ store, pollMs: 10 });
    const [a, b, c] = await Promise.all([
      poller.next({ userId: 'u', runId: runs[0]!.runId, afterSeq: 0 }),
      poller.next({ userId: 'u', runId: runs[1]!.runId, afterSeq: 1 }),
      poller.next({ userId: 'other', runId: runs[2]!.runId, afterSeq: 0 }),
    ]);
    expect(a?.map((e) => e.seq)).toEqual([1, 2]);
    expect(b?.map((e) => e.seq)).toEqual([2]);
    expect(c).toEqual([]); // another user's run reads as nothing
    expect(calls).toEqual({ batches: 1, single: 0, records: 0 });
  });

  it('reads run by run on a store without batch reads', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(2, 2);
    const { store, calls } = counted(inner);
    store.readEventBatches = undefined;
    const poller = new LogPoller({ store, pollMs: 10 });
    const read = await Promise.all(
      runs.map((run) => poller.next({ userId: 'u', runId: run.runId, afterSeq: 0 })),
    );
    expect(read.map((events) => events.length)).toEqual([2, 2]);
    expect(calls).toEqual({ batches: 0, single: 2, records: 0 });
  });

  it('answers an aborted reader at once with nothing, and the others at the poll', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(2, 2);
    const { store, calls } = counted(inner);
    const poller = new LogPoller({ store, pollMs: 50 });
    const abort = new AbortController();
    const started = performance.now();
    const gone = poller.next({ userId: 'u', runId: runs[0]!.runId }, abort.signal);
    const kept = poller.next({ userId: 'u', runId: runs[1]!.runId });
    abort.abort();
    expect(await gone).toEqual([]);
    expect(performance.now() - started).toBeLessThan(50);
    expect((await kept).length).toBe(2);
    expect(calls.batches).toBe(1);
  });

  it('fails every reader of a poll the store could not answer', async () => {
    const { store, runs } = await storeWithRunningRuns(2, 2);
    const broken: Store = Object.create(store);
    broken.readEventBatches = () => Promise.reject(new Error('store down'));
    const poller = new LogPoller({ store: broken, pollMs: 10 });
    const reads = runs.map((run) => poller.next({ userId: 'u', runId: run.runId }));
    for (const read of reads) await expect(read).rejects.toThrow('store down');
  });

  it('reads the records asked for in one turn with one store call', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(3, 1);
    const { store, calls } = counted(inner);
    const poller = new LogPoller({ store, pollMs: 10 });
    const records = await Promise.all([
      poller.record({ userId: 'u', runId: runs[0]!.runId }),
      poller.record({ userId: 'u', runId: runs[1]!.runId }),
      poller.record({ userId: 'other', runId: runs[2]!.runId }),
    ]);
    expect(records.map((record) => record?.runId ?? null)).toEqual([
      runs[0]!.runId,
      runs[1]!.runId,
      null, // another user's run is not theirs
    ]);
    expect(calls.records).toBe(1);
    // Asked for in a later turn: a read of its own.
    expect((await poller.record({ userId: 'u', runId: runs[2]!.runId }))?.runId).toBe(
      runs[2]!.runId,
    );
    expect(calls.records).toBe(2);
  });

  it('fails every record of a read the store could not answer', async () => {
    const { store, runs } = await storeWithRunningRuns(2, 1);
    const broken: Store = Object.create(store);
    broken.getRuns = () => Promise.reject(new Error('store down'));
    const poller = new LogPoller({ store: broken, pollMs: 10 });
    const reads = runs.map((run) => poller.record({ userId: 'u', runId: run.runId }));
    for (const read of reads) await expect(read).rejects.toThrow('store down');
  });
});
