// Watching the runs of this process for cancel requests made on other
// instances (runs.cancel there records one on the run), and for runs whose
// record is gone (their session was deleted, here or elsewhere), which stop
// too: one store call per interval for all of them (the store's
// getStopRequests, which reads one field of each), or where a store has not
// that, their records 64 at a time; never a timer and a read per run, which
// at hundreds of runs was a visible share of the event loop.
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { RunKey, Store } from '@agentrpc/core';
import { readRuns } from './batch-reads.ts';

/**
 * Records read per store call, with the event loop let run between calls.
 * SQLite reads on the event loop, and one read of 500 whole records held it
 * for 5–9 ms once a second, long enough to show in every stream's gaps.
 */
const readSlice = 64;
/**
 * Runs asked about per getStopRequests call. One call for all is what spares
 * a MongoDB-wire store round trips (and FerretDB a scan per call).
 */
const askSlice = 2_000;

/** For each key, whether its run must stop: through getStopRequests, else from its record. */
async function stopRequests(store: Store, keys: RunKey[]): Promise<boolean[]> {
  if (store.getStopRequests) return store.getStopRequests(keys);
  const runs = await readRuns(store, keys);
  return runs.map((run) => !run || run.cancelRequestedAt !== undefined);
}

export class CancelWatch {
  readonly #store: Store;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  /** What to call when a run's cancel request is seen, by run. */
  readonly #watched = new Map<RunKey, () => void>();
  #timer: NodeJS.Timeout | undefined;
  #reading = false;

  constructor(options: { store: Store; intervalMs: number; onError: (error: unknown) => void }) {
    this.#store = options.store;
    this.#intervalMs = options.intervalMs;
    this.#onError = options.onError;
  }

  /** Calls `onCancel` once the run's record asks for a cancel or is gone; stops when the returned function is called. */
  watch(key: RunKey, onCancel: () => void): () => void {
    this.#watched.set(key, onCancel);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#check(), this.#intervalMs);
      // Watching alone must not keep a process alive that has nothing else to do.
      this.#timer.unref();
    }
    return () => {
      this.#watched.delete(key);
      if (this.#watched.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #check(): Promise<void> {
    // A slow store must not pile reads up: skip a tick while one is going.
    if (this.#reading) return;
    this.#reading = true;
    const keys = [...this.#watched.keys()];
    const sliceSize = this.#store.getStopRequests ? askSlice : readSlice;
    try {
      for (let start = 0; start < keys.length; start += sliceSize) {
        if (start > 0) await yieldToIo();
        const slice = keys.slice(start, start + sliceSize);
        const stops = await stopRequests(this.#store, slice);
        stops.forEach((stop, i) => {
          if (!stop) return;
          const key = slice[i] as RunKey;
          const onCancel = this.#watched.get(key);
          this.#watched.delete(key);
          onCancel?.();
        });
      }
      if (this.#watched.size === 0) this.stop();
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#reading = false;
    }
  }
}
