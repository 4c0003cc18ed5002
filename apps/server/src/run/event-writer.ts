// Writes a run's events to the store in batches, so content deltas do not cost
// a write each; the terminal event (and anything before it) is written at once.
import { isTerminalEvent, type RunEvent, type Store } from '@agentrpc/core';

export interface EventWriterOptions {
  store: Store;
  userId: string;
  runId: string;
  /** Longest a non-terminal event waits before it is written (default 100 ms, the poll interval of readers on other instances). */
  flushMs?: number;
  /** Write as soon as this many events wait (default 64). */
  maxBatch?: number;
  onError: (error: unknown) => void;
}

export class EventWriter {
  #pending: RunEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly #options: EventWriterOptions;

  constructor(options: EventWriterOptions) {
    this.#options = options;
  }

  add(event: RunEvent): void {
    this.#pending.push(event);
    if (isTerminalEvent(event) || this.#pending.length >= (this.#options.maxBatch ?? 64)) {
      void this.flush();
    } else {
      this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushMs ?? 100);
    }
  }

  /** Writes everything added so far; resolves when it is stored. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    const { store, userId, runId, onError } = this.#options;
    // Batches are written one after another, so the log never has a gap.
    this.#writing = this.#writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await store.appendEvents({ userId, runId }, batch);
      } catch (error) {
        // Keep the batch and try again: appends are idempotent by (runId, seq).
        onError(error);
        this.#pending = batch.concat(this.#pending);
        this.#timer ??= setTimeout(() => void this.flush(), 500);
      }
    });
    return this.#writing;
  }
}
