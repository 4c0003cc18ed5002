// The SQLite store's connection on the caller's thread: opened and migrated on
// first use, each statement compiled once, reads run at once, writes gathered
// per turn of the event loop (sqlite-write-queue.ts), driver failures reported
// as STORE_ERROR, and a file locked by another connection (the event worker,
// another process) waited for off the event loop rather than inside SQLite.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import { isBusy, retryAfterPauses, stillLocked, storeError } from './sqlite-errors.ts';
import { migrate } from './sqlite-migrations.ts';
import { SqliteWriteQueue } from './sqlite-write-queue.ts';

/** The statement for a piece of SQL, compiled once: what the row modules (sqlite-*-rows.ts) are given. */
export type Sql = (text: string) => StatementSync;

/**
 * A bound value in SQL, cast: SQLite (3.54, in Node 24.22) compiles a statement
 * again at every run when its plan could depend on a bound value, as one that
 * compares a column with a bare `?` by `=` and orders by an index (or takes a
 * max) can, and one with `LIMIT ?` or `LIKE ?`. Compiling costs several times what
 * running such a statement does (the event log's insert went from 3 to 7 µs
 * an event); a cast is not a bare parameter (sqlite-statements.test.ts).
 */
export const boundText = 'CAST(? AS TEXT)';
/** See boundText. */
export const boundInteger = 'CAST(? AS INTEGER)';

/** The object a row's JSON `data` column holds. */
export const dataOf = <T>(row: unknown): T => JSON.parse((row as { data: string }).data) as T;

/**
 * Runs `read`, several statements that only read, in one read transaction.
 * Each statement on its own takes and lets go of the write-ahead log's read
 * lock (two system calls) and finds again every page another connection
 * wrote since: a server checking its 500 running runs for stop requests a
 * statement each made some 1,000 such calls a second while the event worker
 * wrote. Together the statements also see one state of the file.
 */
export function readTogether<T>(db: DatabaseSync, read: () => T): T {
  if (db.isTransaction) return read();
  db.exec('BEGIN');
  try {
    const value = read();
    db.exec('COMMIT');
    return value;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export interface SqliteConnectionOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** How long a write waits for another connection's write lock before it fails. */
  busyTimeoutMs: number;
  /** Another connection (the event worker's) writes most and runs the WAL checkpoints. */
  checkpointsElsewhere: boolean;
}

export class SqliteConnection {
  readonly #options: SqliteConnectionOptions;
  #db: DatabaseSync | undefined;
  /** Prepared statements by SQL: compiling one costs about as much as running it. */
  readonly #statements = new Map<string, StatementSync>();
  readonly #writes: SqliteWriteQueue;
  #closed = false;

  constructor(options: SqliteConnectionOptions) {
    this.#options = options;
    this.#writes = new SqliteWriteQueue({
      open: () => this.#open(),
      busyTimeoutMs: options.busyTimeoutMs,
    });
  }

  /**
   * Runs `work`, which only reads, with the database, at once. A read that
   * finds the file locked (rare in WAL mode: another connection recovering the
   * log) is tried again after a pause (1, 2, 4 … 20 ms) until busyTimeoutMs
   * have passed.
   */
  use<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    try {
      return Promise.resolve(work(this.#open()));
    } catch (error) {
      if (isBusy(error)) return this.#useWhenFree(action, work);
      return Promise.reject(storeError(action, error));
    }
  }

  async #useWhenFree<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    const giveUpAt = performance.now() + this.#options.busyTimeoutMs;
    return retryAfterPauses(() => {
      try {
        return work(this.#open());
      } catch (error) {
        if (!isBusy(error) || performance.now() > giveUpAt) throw storeError(action, error);
        return stillLocked;
      }
    });
  }

  /**
   * Runs `work`, which writes, all or nothing, with the other writes of this
   * turn of the event loop once it ends; resolves once they are committed.
   * `work` must not read the caller's objects: take what it needs first.
   */
  write<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    return this.#writes.write(action, work);
  }

  /** The statement for `sql`, compiled on first use. */
  sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#open().prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs the writes still queued first. */
  close(): void {
    this.#writes.flushNow();
    this.#closed = true;
    this.#statements.clear();
    this.#db?.close();
    this.#db = undefined;
  }

  #open(): DatabaseSync {
    if (this.#db) return this.#db;
    const { path, busyTimeoutMs, checkpointsElsewhere } = this.#options;
    if (this.#closed)
      throw new AgentRpcError('STORE_ERROR', `the SQLite store at ${path} is closed`);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${busyTimeoutMs}; PRAGMA foreign_keys = ON;`,
    );
    // This connection then runs a checkpoint only if the worker has not for
    // long (40 MB of log), so its small writes do not pay for the events'.
    if (checkpointsElsewhere) db.exec('PRAGMA wal_autocheckpoint = 10000;');
    migrate(db);
    // From here on a locked file is waited for in use() and the write queue,
    // not inside SQLite, which would block the event loop for as long.
    db.exec('PRAGMA busy_timeout = 0;');
    this.#db = db;
    return db;
  }
}
