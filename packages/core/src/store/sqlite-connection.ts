// The SQLite store's connection on the caller's thread: opened and migrated on
// first use, each statement compiled once, the writes of one turn of the event
// loop committed together, driver failures reported as STORE_ERROR, and a file
// locked by another connection (the event worker, another process) waited for
// off the event loop rather than inside SQLite.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentRpcError } from '../errors.ts';
import { migrate } from './sqlite-migrations.ts';

export interface SqliteConnectionOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** How long a write waits for another connection's write lock before it fails. */
  busyTimeoutMs: number;
  /** Another connection (the event worker's) writes most and runs the WAL checkpoints. */
  checkpointsElsewhere: boolean;
}

/** SQLITE_BUSY, extended codes included: another connection holds the write lock. */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

function storeError(action: string, error: unknown): AgentRpcError {
  if (error instanceof AgentRpcError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new AgentRpcError('STORE_ERROR', `SQLite failed to ${action}: ${detail}`, {
    cause: error,
  });
}

/**
 * The writes of one turn of the event loop: one transaction, begun IMMEDIATE
 * at the first and committed once the turn's callbacks have run. A commit
 * costs far more than a small write (six writes of a run's start and end cost
 * 240 µs in transactions of their own, 60 µs sixteen runs to a transaction),
 * and many runs start and end in one turn under load.
 */
interface WriteGroup {
  committed: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** How a write that found the file locked waits its turn. */
interface Retry {
  giveUpAt: number;
  pauseMs: number;
}

export class SqliteConnection {
  readonly #options: SqliteConnectionOptions;
  #db: DatabaseSync | undefined;
  /** Prepared statements by SQL: compiling one costs about as much as running it. */
  readonly #statements = new Map<string, StatementSync>();
  #group: WriteGroup | undefined;
  #closed = false;

  constructor(options: SqliteConnectionOptions) {
    this.#options = options;
  }

  /**
   * Runs `work`, which only reads, with the database. A read that finds the
   * file locked (rare in WAL mode: another connection recovering the log) is
   * tried again after a pause (1, 2, 4 … 20 ms) until busyTimeoutMs have passed.
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
    for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 20)) {
      await sleep(pauseMs);
      try {
        return work(this.#open());
      } catch (error) {
        if (!isBusy(error) || performance.now() > giveUpAt) throw storeError(action, error);
      }
    }
  }

  /**
   * Runs `work`, which writes, at once and all or nothing, inside this turn's
   * transaction; resolves once that is committed, so another connection (the
   * event worker, another process) sees what it wrote. Reads on this
   * connection see it at once. A failed commit fails every write of the turn.
   * A file locked by another connection is waited for as in use().
   */
  write<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    return this.#write(action, work, undefined);
  }

  #write<T>(action: string, work: (db: DatabaseSync) => T, retry: Retry | undefined): Promise<T> {
    let db: DatabaseSync;
    let group: WriteGroup;
    try {
      db = this.#open();
      group = this.#group ?? this.#beginGroup(db);
    } catch (error) {
      const giveUpAt = retry?.giveUpAt ?? performance.now() + this.#options.busyTimeoutMs;
      if (!isBusy(error) || performance.now() > giveUpAt) {
        return Promise.reject(storeError(action, error));
      }
      const pauseMs = retry?.pauseMs ?? 1;
      return sleep(pauseMs).then(() =>
        this.#write(action, work, { giveUpAt, pauseMs: Math.min(pauseMs * 2, 20) }),
      );
    }
    let value: T;
    try {
      db.exec('SAVEPOINT write');
      value = work(db);
      db.exec('RELEASE write');
    } catch (error) {
      this.#undoWrite(db, error);
      return Promise.reject(storeError(action, error));
    }
    return group.committed.then(
      () => value,
      (error: unknown) => {
        throw storeError(action, error);
      },
    );
  }

  #beginGroup(db: DatabaseSync): WriteGroup {
    db.exec('BEGIN IMMEDIATE');
    let resolve = () => {};
    let reject: (error: unknown) => void = () => {};
    const committed = new Promise<void>((settle, fail) => {
      resolve = settle;
      reject = fail;
    });
    // Each write reports a failed commit through the promise it returned.
    committed.catch(() => {});
    const group = { committed, resolve, reject };
    this.#group = group;
    setImmediate(() => this.#commit(group));
    return group;
  }

  #commit(group: WriteGroup): void {
    if (this.#group !== group) return;
    this.#group = undefined;
    try {
      this.#db?.exec('COMMIT');
      group.resolve();
    } catch (error) {
      this.#rollback();
      group.reject(error);
    }
  }

  /** Takes back a failed write; if SQLite ended the whole transaction for it, the turn's writes fail. */
  #undoWrite(db: DatabaseSync, error: unknown): void {
    let failure = error;
    try {
      if (db.isTransaction) {
        db.exec('ROLLBACK TO write');
        db.exec('RELEASE write');
        return;
      }
    } catch (rollbackError) {
      failure = rollbackError;
    }
    const group = this.#group;
    this.#group = undefined;
    this.#rollback();
    group?.reject(failure);
  }

  #rollback(): void {
    if (this.#db?.isTransaction) this.#db.exec('ROLLBACK');
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

  /** Commits this turn's writes first. */
  close(): void {
    if (this.#group) this.#commit(this.#group);
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
    // From here on a locked file is waited for in use(), not inside SQLite,
    // which would block the event loop for as long.
    db.exec('PRAGMA busy_timeout = 0;');
    this.#db = db;
    return db;
  }
}
