// The SQLite store's writes on the caller's thread, gathered per turn of the
// event loop and run together in one short transaction at its end. A commit
// costs far more than a small write: the six writes of a run's start and end
// cost 240 µs in transactions of their own and 60 µs sixteen runs to a
// transaction, and under load many runs start and end in one turn. The writes
// run only once the turn is over, so the file's write lock is held for as long
// as they take, not for the whole turn: the event worker and other processes
// share that lock.
import type { DatabaseSync } from 'node:sqlite';
import { isBusy, retryAfterPauses, stillLocked, storeError } from './sqlite-errors.ts';

interface QueuedWrite {
  action: string;
  work: (db: DatabaseSync) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A write that ran and waits for the commit. */
interface Written {
  write: QueuedWrite;
  value: unknown;
}

export interface WriteQueueOptions {
  /** The connection, opened (and migrated) on first use; throws when closed. */
  open: () => DatabaseSync;
  /** How long the writes wait for another connection's write lock before they fail. */
  busyTimeoutMs: number;
}

export class SqliteWriteQueue {
  readonly #options: WriteQueueOptions;
  #queue: QueuedWrite[] = [];
  /** A run of the queue is due (at the turn's end, or after a pause for the lock). */
  #due = false;

  constructor(options: WriteQueueOptions) {
    this.#options = options;
  }

  /**
   * Queues `work`, which writes; it runs all or nothing (in a savepoint) with
   * the rest of the turn's writes, and the promise resolves once they are
   * committed, so another connection sees them. Take what the work needs from
   * the caller's objects before queuing it: they may change meanwhile.
   */
  write<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ action, work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#due) return;
      this.#due = true;
      setImmediate(() => void this.#run());
    });
  }

  /** Runs what is queued now, once, without waiting for a locked file (before closing). */
  flushNow(): void {
    if (this.#queue.length > 0) this.#runOnce(0);
  }

  async #run(): Promise<void> {
    const giveUpAt = performance.now() + this.#options.busyTimeoutMs;
    try {
      if (!this.#runOnce(giveUpAt)) {
        await retryAfterPauses(() => this.#runOnce(giveUpAt) || stillLocked);
      }
    } finally {
      this.#due = false;
    }
  }

  /** Runs the queued writes in one transaction; false when the file is locked and there is time left to wait. */
  #runOnce(giveUpAt: number): boolean {
    if (this.#queue.length === 0) return true;
    let db: DatabaseSync;
    try {
      db = this.#options.open();
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if (isBusy(error) && performance.now() <= giveUpAt) return false;
      this.#failAll(this.#take(), error);
      return true;
    }
    const batch = this.#take();
    const written: Written[] = [];
    for (const [i, write] of batch.entries()) {
      try {
        db.exec('SAVEPOINT write');
        const value = write.work(db);
        db.exec('RELEASE write');
        written.push({ write, value });
      } catch (error) {
        write.reject(storeError(write.action, error));
        if (!undone(db)) {
          // SQLite ended the whole transaction: the writes before this one went with it.
          const lost = written.map((done) => done.write);
          this.#failAll(lost.concat(batch.slice(i + 1)), error);
          return true;
        }
      }
    }
    try {
      db.exec('COMMIT');
    } catch (error) {
      this.#failAll(
        written.map((done) => done.write),
        error,
      );
      rollBack(db);
      return true;
    }
    for (const { write, value } of written) write.resolve(value);
    return true;
  }

  #take(): QueuedWrite[] {
    const queue = this.#queue;
    this.#queue = [];
    return queue;
  }

  #failAll(writes: QueuedWrite[], error: unknown): void {
    for (const write of writes) write.reject(storeError(write.action, error));
  }
}

/** Takes back the failed write's savepoint; false when there was no transaction left to keep. */
function undone(db: DatabaseSync): boolean {
  if (!db.isTransaction) return false;
  try {
    db.exec('ROLLBACK TO write');
    db.exec('RELEASE write');
    return true;
  } catch {
    // The savepoint is gone too: nothing of the transaction can be trusted.
    rollBack(db);
    return false;
  }
}

/**
 * Ends a failed transaction. Its writes have failed already; if even this
 * fails, the next run's BEGIN fails and its writes with it, so it is not lost.
 */
function rollBack(db: DatabaseSync): void {
  try {
    if (db.isTransaction) db.exec('ROLLBACK');
  } catch {
    // Reported through the next writes, as above.
  }
}
