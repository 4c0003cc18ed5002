import { type EventBatch, MemoryStore, type RunEvent, type Store } from '@agentrpc/core';
import { contentEvent, runFixture, sessionFixture } from '@agentrpc/core/testing';
import { describe, expect, it } from 'vitest';
import { EventLog } from './event-log.ts';
import { sleep } from './wait.ts';

/** A memory store with two runs of user u, that counts calls and can fail the next ones. */
async function storeWithRuns(options: { batches?: boolean } = {}) {
  const memory = new MemoryStore();
  const session = await memory.createSession(sessionFixture('u'));
  const [a, b] = [runFixture(session), runFixture(session)];
  await memory.appendRun(a);
  await memory.appendRun(b);
  const calls: string[] = [];
  let failures = 0;
  const store = new Proxy(memory, {
    get(target, property, receiver) {
      if (property === 'appendEventBatches' && options.batches === false) return undefined;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        if (failures > 0 && String(property).startsWith('append')) {
          failures--;
          return Promise.reject(new Error('store down'));
        }
        return value.apply(target, args);
      };
    },
  }) as Store;
  return { store, a, b, calls, failNext: (count: number) => (failures = count) };
}

const seqs = async (store: Store, runId: string) =>
  (await store.readEvents({ userId: 'u', runId })).map((e) => e.seq);

/** A log that fails the test on any write error. */
const strictLog = (store: Store, flushMs: number) =>
  new EventLog({
    store,
    flushMs,
    onError: (error) => {
      throw error;
    },
  });

const cancelled = (runId: string, seq: number) =>
  ({ type: 'run.cancelled', runId, seq, createdAt: 0 }) as RunEvent;

describe('EventLog', () => {
  it("writes every run's pending events in one store call per interval", async () => {
    const { store, a, b, calls } = await storeWithRuns();
    const log = strictLog(store, 20);
    log.add(a, contentEvent(a.runId, 1));
    log.add(b, contentEvent(b.runId, 1));
    log.add(a, contentEvent(a.runId, 2));
    expect(calls).toEqual([]);
    await sleep(60);
    expect(calls).toEqual(['appendEventBatches']);
    expect(await seqs(store, a.runId)).toEqual([1, 2]);
    expect(await seqs(store, b.runId)).toEqual([1]);
  });

  it("writes each of a run's events once, over many writes, and again after a quiet interval", async () => {
    const { store, a } = await storeWithRuns();
    const written: number[][] = [];
    const spying = new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'appendEventBatches') return Reflect.get(target, property, receiver);
        return (batches: EventBatch[]) => {
          written.push(...batches.map((batch) => batch.events.map((event) => event.seq)));
          return target.appendEventBatches?.(batches);
        };
      },
    });
    const log = strictLog(spying, 10_000);
    log.add(a, contentEvent(a.runId, 1));
    log.add(a, contentEvent(a.runId, 2));
    await log.flush();
    log.add(a, contentEvent(a.runId, 3));
    await log.flush();
    await log.flush(); // nothing waits: the run is let go
    log.add(a, contentEvent(a.runId, 4));
    await log.flush();
    expect(written).toEqual([[1, 2], [3], [4]]);
    expect(await seqs(store, a.runId)).toEqual([1, 2, 3, 4]);
  });

  it('writes at once at a terminal event', async () => {
    const { store, a } = await storeWithRuns();
    const log = strictLog(store, 10_000);
    log.add(a, contentEvent(a.runId, 1));
    log.add(a, cancelled(a.runId, 2));
    await log.flush();
    expect(await seqs(store, a.runId)).toEqual([1, 2]);
  });

  it('writes the flushes asked for during a write together, after it', async () => {
    const { store, a, b, calls } = await storeWithRuns();
    const log = strictLog(store, 10_000);
    log.add(a, contentEvent(a.runId, 1));
    const first = log.flush();
    while (!calls.includes('appendEventBatches')) await Promise.resolve();
    // Both come while the first write is going: they share the write after it.
    const ended = log.add(a, cancelled(a.runId, 2));
    const other = log.add(b, cancelled(b.runId, 1));
    expect(ended).toBe(other);
    await Promise.all([first, ended]);
    // One write for the first flush, one for both that came during it (not one each).
    expect(calls).toEqual(['appendEventBatches', 'appendEventBatches']);
    expect(await seqs(store, a.runId)).toEqual([1, 2]);
    expect(await seqs(store, b.runId)).toEqual([1]);
  });

  it('keeps a run that is gone from holding back the others, and drops its events', async () => {
    const { store, a, calls } = await storeWithRuns();
    const errors: unknown[] = [];
    const log = new EventLog({ store, flushMs: 10_000, onError: (error) => errors.push(error) });
    const gone = { userId: 'u', runId: 'no-such-run' };
    log.add(gone, contentEvent(gone.runId, 1));
    log.add(a, contentEvent(a.runId, 1));
    await log.flush();
    // The batch, then each run on its own; the missing run is kept for later.
    expect(calls).toEqual(['appendEventBatches', 'appendEventBatches', 'appendEventBatches']);
    expect(await seqs(store, a.runId)).toEqual([1]);
    expect(errors).toHaveLength(1);
    // Its events are dropped, not tried again forever.
    calls.length = 0;
    await log.flush();
    expect(calls).toEqual([]);
  });

  it('tells onGone of a run that is gone, instead of onError', async () => {
    const { store, a } = await storeWithRuns();
    const gone: unknown[] = [];
    const log = new EventLog({
      store,
      flushMs: 10_000,
      onError: (error) => {
        throw error;
      },
      onGone: (key) => gone.push(key),
    });
    const missing = { userId: 'u', runId: 'no-such-run' };
    log.add(missing, contentEvent(missing.runId, 1));
    log.add(a, contentEvent(a.runId, 1));
    await log.flush();
    expect(gone).toEqual([missing]);
    expect(await seqs(store, a.runId)).toEqual([1]);
  });

  it('appends run by run on a store without batches, and loses nothing while the store is down', async () => {
    const { store, a, b, calls, failNext } = await storeWithRuns({ batches: false });
    const errors: unknown[] = [];
    const stored: string[] = [];
    const log = new EventLog({
      store,
      flushMs: 10_000,
      onError: (error) => errors.push(error),
      onStored: (key, seq) => stored.push(`${key.runId === a.runId ? 'a' : 'b'}${seq}`),
    });
    failNext(1);
    log.add(a, contentEvent(a.runId, 1));
    log.add(b, contentEvent(b.runId, 1));
    await log.flush(); // a fails, then the retry is queued
    expect(errors).toHaveLength(1);
    expect(stored).toEqual([]); // nothing is said to be stored that is not
    log.add(a, contentEvent(a.runId, 2));
    await log.flush();
    expect(stored).toEqual(['a2', 'b1']);
    expect(await seqs(store, a.runId)).toEqual([1, 2]);
    expect(await seqs(store, b.runId)).toEqual([1]);
    expect(calls.every((call) => call === 'appendEvents' || call === 'readEvents')).toBe(true);
  });
});
