// Reading a run's events for a subscriber: replay from the store's event log,
// follow the live hub when the run is in this process, and poll the log when
// it runs elsewhere, until the terminal event.
import { isTerminalEvent, type RunEvent, type Store } from '@agentrpc/core';
import type { RunHub } from './run-hub.ts';
import { sleep, waitForChange } from './wait.ts';

/** How often a reader polls the store for a run that is live elsewhere. */
const pollMs = 100;

export interface FollowOptions {
  store: Store;
  /** The run's live hub in this process, if it has one for this user. */
  hubOf: () => RunHub | undefined;
  userId: string;
  runId: string;
  /** Yield only events after this seq. */
  afterSeq: number;
  signal?: AbortSignal;
}

export async function* followRun(options: FollowOptions): AsyncGenerator<RunEvent> {
  const { store, userId, runId, signal } = options;
  let last = options.afterSeq;
  while (!signal?.aborted) {
    const hub = options.hubOf();
    if (hub && hub.firstSeq <= last + 1) {
      const fresh = hub.events.slice(last + 1 - hub.firstSeq);
      for (const event of fresh) {
        yield event;
        last = event.seq;
        if (isTerminalEvent(event)) return;
      }
      if (hub.done) {
        if (fresh.length === 0) return;
        continue;
      }
      await waitForChange(hub, signal);
      continue;
    }
    const before = last;
    for (const event of await store.readEvents({ userId, runId, afterSeq: last, limit: 500 })) {
      if (event.seq !== last + 1) break; // a gap: the rest is still being written
      yield event;
      last = event.seq;
      if (isTerminalEvent(event)) return;
    }
    if (last === before) {
      // Nothing new in the log: stop if the run is over, else look again shortly.
      const current = await store.getRun({ userId, runId });
      if (!current) return;
      const over = current.status !== 'running' && current.status !== 'pending';
      if (over && current.lastSeq <= last) return;
      await sleep(pollMs, signal);
    }
  }
}
