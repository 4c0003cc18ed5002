import type { RunKey, Store } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import { storeWithRunningRuns } from '../test-support/running-runs.ts';
import { CancelWatch } from './cancel-watch.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A watch every 20 ms over all of `runs`, and which of them it cancelled. */
function watchingAll(store: Store, runs: RunKey[]) {
  const watch = new CancelWatch({
    store,
    intervalMs: 20,
    onError: (e) => expect.fail(String(e)),
  });
  const cancelled: string[] = [];
  for (const run of runs) watch.watch(run, () => cancelled.push(run.runId));
  return { watch, cancelled };
}

describe('CancelWatch', () => {
  it('cancels the runs whose record asks for it, asking for all watched runs in one call a tick', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(150);
    const asked: number[] = [];
    const store: Store = Object.create(inner);
    store.getStopRequests = (keys) => {
      asked.push(keys.length);
      return inner.getStopRequests!(keys);
    };
    store.getRuns = () => expect.fail('records are not read when the store answers stop requests');
    const { watch, cancelled } = watchingAll(store, runs);
    await tick(50);
    expect(cancelled).toEqual([]);
    const asksBefore = asked.length;
    expect(asksBefore).toBeGreaterThanOrEqual(1);
    await inner.updateRun(runs[1]!, { cancelRequestedAt: Date.now() });
    await tick(50);
    expect(cancelled).toEqual(['r1']);
    // Each tick asked about all 150 watched runs in one call, not one per run or per slice.
    expect(asked.every((count) => count >= 149)).toBe(true);
    expect(asked.length - asksBefore).toBeLessThanOrEqual(3);
    watch.stop();
  });

  it('reads the records of many runs 64 at a time on a store without getStopRequests, with the event loop let run between reads', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(150);
    const seen: string[] = [];
    const store: Store = Object.create(inner);
    store.getStopRequests = undefined;
    store.getRuns = (keys) => {
      seen.push(`read ${keys.length}`);
      // Whatever is waiting for the event loop gets its turn before the next read.
      setImmediate(() => seen.push('io'));
      return inner.getRuns!(keys);
    };
    await inner.updateRun(runs[149]!, { cancelRequestedAt: Date.now() });
    const { watch, cancelled } = watchingAll(store, runs);
    await tick(35);
    watch.stop();
    expect(seen.slice(0, 6)).toEqual(['read 64', 'io', 'read 64', 'io', 'read 22', 'io']);
    expect(cancelled).toEqual(['r149']);
  });

  it('stops the runs whose record is gone, as when their session is deleted', async () => {
    const { store, runs } = await storeWithRunningRuns(2);
    const { watch, cancelled } = watchingAll(store, runs);
    await tick(50);
    expect(cancelled).toEqual([]);
    const record = await store.getRun(runs[0]!);
    await store.deleteSession({ userId: 'u', sessionId: record!.sessionId });
    await tick(50);
    expect(cancelled.sort()).toEqual(['r0', 'r1']);
    watch.stop();
  });

  it('stops watching a run when told, and reads run by run on a store without getStopRequests or getRuns', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(2);
    const store: Store = Object.create(inner);
    store.getStopRequests = undefined;
    store.getRuns = undefined;
    store.getRun = (key) => inner.getRun(key);
    const watch = new CancelWatch({
      store,
      intervalMs: 20,
      onError: (e) => expect.fail(String(e)),
    });
    const cancelled: string[] = [];
    const unwatch = watch.watch(runs[0]!, () => cancelled.push('r0'));
    watch.watch(runs[1]!, () => cancelled.push('r1'));
    unwatch();
    for (const run of runs) await inner.updateRun(run, { cancelRequestedAt: Date.now() });
    await tick(60);
    expect(cancelled).toEqual(['r1']);
    watch.stop();
  });

  it('reports a store that cannot be read and keeps watching', async () => {
    const { store: inner, runs } = await storeWithRunningRuns(1);
    let down = true;
    const store: Store = Object.create(inner);
    store.getStopRequests = (keys) =>
      down ? Promise.reject(new Error('store down')) : inner.getStopRequests!(keys);
    const errors: unknown[] = [];
    const watch = new CancelWatch({ store, intervalMs: 20, onError: (e) => errors.push(e) });
    const cancelled: string[] = [];
    watch.watch(runs[0]!, () => cancelled.push('r0'));
    await inner.updateRun(runs[0]!, { cancelRequestedAt: Date.now() });
    await tick(50);
    expect(errors.length).toBeGreaterThan(0);
    expect(cancelled).toEqual([]);
    down = false;
    await tick(50);
    expect(cancelled).toEqual(['r0']);
    watch.stop();
  });
});
