// Polling the stored event log for every run this process follows while it
// runs on another instance: one store read per interval for all of them,
// rather than one per reader. With hundreds of readers the per-reader polls
// were much of the store's load, and on a MongoDB-wire server without real
// indexes (FerretDB 1.x) each was a scan of the events collection. The
// readers' looks at their runs' records (is it still going?) are read together
// too: each reader looks at most once per round of polls, after a poll that
// brought it nothing, so most of them ask after the same poll, in one turn.
import type { EventQuery, RunEvent, RunKey, RunRecord, Store } from '@agentrpc/core';
import { readEventsOf, readRuns } from './batch-reads.ts';

/** Polls per round: a reader looks at its run's record at most once a round (about a second). */
const pollsPerRound = 10;

interface RecordWanted {
  key: RunKey;
  resolve: (record: RunRecord | null) => void;
  reject: (error: unknown) => void;
}

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
  #records: RecordWanted[] = [];
  #polls = 0;

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

  /** The number of the current round of polls (see `record`). */
  get round(): number {
    return Math.floor(this.#polls / pollsPerRound);
  }

  /**
   * The run's record, read in one store call with every other record asked
   * for in this turn (where the store reads several at once).
   */
  record(key: RunKey): Promise<RunRecord | null> {
    return new Promise((resolve, reject) => {
      this.#records.push({ key, resolve, reject });
      if (this.#records.length === 1) setImmediate(() => void this.#readRecords());
    });
  }

  async #readRecords(): Promise<void> {
    const batch = this.#records;
    this.#records = [];
    const keys = batch.map((wanted) => wanted.key);
    await answerAll(batch, null, () => readRuns(this.#store, keys));
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    this.#polls++;
    const batch = [...this.#waiting];
    this.#waiting = new Set();
    for (const waiting of batch) waiting.signal?.removeEventListener('abort', waiting.onAbort);
    const queries = batch.map((waiting) => waiting.query);
    await answerAll(batch, [], () => readEventsOf(this.#store, queries));
  }
}

/** Gives each asker its answer from one read (`none` where it has none), or everyone its failure. */
async function answerAll<T>(
  askers: { resolve: (answer: T) => void; reject: (error: unknown) => void }[],
  none: T,
  read: () => Promise<T[]>,
): Promise<void> {
  try {
    const answers = await read();
    askers.forEach((asker, i) => {
      asker.resolve(answers[i] ?? none);
    });
  } catch (error) {
    for (const asker of askers) asker.reject(error);
  }
}
