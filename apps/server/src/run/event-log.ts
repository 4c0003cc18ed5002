// Writes runs' events to the store's event log in batches across runs: what
// every run added in the last interval goes out together, in one store call
// where the store takes several runs at once (one transaction in SQLite, one
// bulk write in MongoDB). A terminal event goes out at once, with everything
// pending; flushes asked for while a write is going join the next one. With
// many streams, a write per run per interval was most of the store's load, and
// on SQLite a large share of the server's CPU. A run's waiting events are
// kept in an array that lives as long as the run streams and is emptied in
// place at each write, rather than a new one per run per write: those arrays
// outlived young-generation collections and were much of what the garbage
// collector copied (docs/performance-notes.md).
import {
  type EventBatch,
  isAgentRpcError,
  isTerminalEvent,
  type RunEvent,
  type RunKey,
  type Store,
} from '@agentrpc/core';
import { joinedRuns } from '@agentrpc/core/internal';

export interface EventLogOptions {
  store: Store;
  /** Longest a non-terminal event waits before it is written (default 100 ms, the poll interval of readers on other instances). */
  flushMs?: number;
  /** Write as soon as one run has this many events waiting (default 64). */
  maxBatch?: number;
  onError: (error: unknown) => void;
  /** Told after each write which runs' events the store now holds, through which seq. */
  onStored?: (key: RunKey, throughSeq: number) => void;
  /**
   * Told when the store no longer has a run (its session was deleted): its
   * events are dropped, and the run had better stop. Without it, onError hears.
   */
  onGone?: (key: RunKey) => void;
}

/** How soon a failed write is tried again. */
const retryMs = 500;

/** A run's events waiting to be written: the first `count` of `events` (the slots past it are empty). */
interface Waiting {
  key: RunKey;
  events: (RunEvent | undefined)[];
  count: number;
}

export class EventLog {
  /** Runs that had events to write since the last write but one, by run id. */
  readonly #runs = new Map<string, Waiting>();
  #timer: NodeJS.Timeout | undefined;
  /**
   * Writes go one after another, so a run's log never has a gap. Ending runs
   * each ask for a flush: under load, those that come during a write share
   * the next one, which takes whatever is pending when it starts.
   */
  readonly #writeNext = joinedRuns(() => this.#write(this.#takeWaiting()));
  readonly #options: EventLogOptions;

  constructor(options: EventLogOptions) {
    this.#options = options;
  }

  /** Queues the event; for a terminal one, writes at once and returns when the run's log is stored. */
  add(key: RunKey, event: RunEvent): Promise<void> | undefined {
    const waiting = this.#waitingOf(key);
    waiting.events[waiting.count++] = event;
    if (isTerminalEvent(event)) return this.flush();
    if (waiting.count >= (this.#options.maxBatch ?? 64)) {
      void this.flush();
    } else {
      this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushMs ?? 100);
    }
    return undefined;
  }

  /** Writes everything added so far; resolves when it is stored (or has failed and is queued again). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#writeNext();
  }

  #waitingOf(key: RunKey): Waiting {
    let waiting = this.#runs.get(key.runId);
    if (!waiting) {
      waiting = { key: { userId: key.userId, runId: key.runId }, events: [], count: 0 };
      this.#runs.set(key.runId, waiting);
    }
    return waiting;
  }

  /**
   * Every run's waiting events, each run's in an array of their own, and the
   * runs emptied for the next ones. A run with nothing waiting is let go: it
   * ended, or it is between steps and comes back at its next event.
   */
  #takeWaiting(): EventBatch[] {
    const batches: EventBatch[] = [];
    for (const [runId, waiting] of this.#runs) {
      if (waiting.count === 0) {
        this.#runs.delete(runId);
        continue;
      }
      batches.push({
        key: waiting.key,
        events: waiting.events.slice(0, waiting.count) as RunEvent[],
      });
      waiting.events.fill(undefined, 0, waiting.count);
      waiting.count = 0;
    }
    return batches;
  }

  async #write(batches: EventBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const { store } = this.#options;
    try {
      if (store.appendEventBatches) await store.appendEventBatches(batches);
      else for (const { key, events } of batches) await store.appendEvents(key, events);
    } catch (error) {
      // One run that cannot be written (say, deleted meanwhile) must not hold
      // the others back: write them run by run, and keep only what failed.
      if (batches.length > 1 && store.appendEventBatches) {
        for (const batch of batches) await this.#write([batch]);
        return;
      }
      // A run that is gone (its session was deleted) has nowhere to write to.
      const gone = batches.length === 1 && isAgentRpcError(error, 'NOT_FOUND');
      const { onGone } = this.#options;
      if (gone && onGone) onGone((batches[0] as EventBatch).key);
      else this.#options.onError(error);
      if (gone) return;
      // Keep the events and try again: appends are idempotent by (runId, seq).
      for (const failed of batches) this.#requeue(failed);
      this.#timer ??= setTimeout(() => void this.flush(), retryMs);
      return;
    }
    const { onStored } = this.#options;
    if (!onStored) return;
    for (const { key, events } of batches) {
      const last = events.at(-1);
      if (last) onStored(key, last.seq);
    }
  }

  /** Puts a failed write's events back before those that came since. */
  #requeue(failed: EventBatch) {
    const waiting = this.#waitingOf(failed.key);
    waiting.events = [...failed.events, ...waiting.events.slice(0, waiting.count)];
    waiting.count = waiting.events.length;
  }
}
