// Polling the stored event log for every run this process follows while it
// runs on another instance: one store read per interval for all of them,
// rather than one per reader. With hundreds of readers the per-reader polls
// were much of the store's load, and on a MongoDB-wire server without real
// indexes (FerretDB 1.x) each was a scan of the events collection.
import type { EventQuery, RunEvent, Store } from '@agentrpc/core';

interface Waiting {
  query: EventQuery;
  resolve: (events: RunEvent[]) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class LogPoller {
  readonly #store: Store;
  readonly #pollMs: number;
  #waiting = new Set<Waiting>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { store: Store; pollMs: number }) {
    this.#store = options.store;
    this.#pollMs = options.pollMs;
  }

  /**
   * The run's events after `query.afterSeq`, read at the next poll together
   * with every other reader's; empty when `signal` aborts first.
   */
  next(query: EventQuery, signal?: AbortSignal): Promise<RunEvent[]> {
    if (signal?.aborted) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        query,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiting.delete(waiting);
          resolve([]);
        },
      };
      signal?.addEventListener('abort', waiting.onAbort, { once: true });
      this.#waiting.add(waiting);
      this.#timer ??= setTimeout(() => void this.#poll(), this.#pollMs);
    });
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    const batch = [...this.#waiting];
    this.#waiting = new Set();
    for (const waiting of batch) waiting.signal?.removeEventListener('abort', waiting.onAbort);
    const queries = batch.map((waiting) => waiting.query);
    const store = this.#store;
    try {
      const results = store.readEventBatches
        ? await store.readEventBatches(queries)
        : await Promise.all(queries.map((query) => store.readEvents(query)));
      batch.forEach((waiting, i) => {
        waiting.resolve(results[i] ?? []);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
