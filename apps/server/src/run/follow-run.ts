// Reading a run's events for a subscriber: replay from the store's event log,
// follow the live hub when the run is in this process, and poll the log when
// it runs elsewhere, until the terminal event.
import { isTerminalEvent, type RunEvent, type Store } from '@agentrpc/core';
import type { RunHub } from './run-hub.ts';
import { sleep } from './wait.ts';

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
  /** Counts readers while they read (a gauge). */
  readers?: { inc(): void; dec(): void };
}

export async function* followRun(options: FollowOptions): AsyncGenerator<RunEvent> {
  const { store, userId, runId, signal } = options;
  let last = options.afterSeq;
  // One wake-up for this reader, called by the hub on every event and by the
  // signal once, so waiting for the next event costs a promise and no more.
  let resume: (() => void) | undefined;
  const wake = () => {
    const next = resume;
    resume = undefined;
    next?.();
  };
  let watched: RunHub | undefined;
  let unwatch: (() => void) | undefined;
  signal?.addEventListener('abort', wake, { once: true });
  options.readers?.inc();
  try {
    while (!signal?.aborted) {
      const hub = options.hubOf();
      if (hub && hub.firstSeq <= last + 1) {
        if (hub !== watched) {
          unwatch?.();
          unwatch = hub.watch(wake);
          watched = hub;
        }
        const before = last;
        // By index: events that arrive while this reader is suspended are read in the same pass.
        for (let i = last + 1 - hub.firstSeq; i < hub.events.length; i++) {
          const event = hub.events[i] as RunEvent;
          yield event;
          last = event.seq;
          if (isTerminalEvent(event)) return;
        }
        if (hub.done) {
          if (last === before) return;
          continue;
        }
        await new Promise<void>((resolve) => {
          resume = resolve;
        });
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
  } finally {
    options.readers?.dec();
    unwatch?.();
    signal?.removeEventListener('abort', wake);
  }
}
