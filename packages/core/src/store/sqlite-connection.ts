// The SQLite store's connection on the caller's thread: opened and migrated on
// first use, each statement compiled once, driver failures reported as
// STORE_ERROR, and a file locked by another connection (the event worker,
// another process) waited for off the event loop rather than inside SQLite.
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

/** Runs `work` in a transaction begun IMMEDIATE, so writes that read first never interleave. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

export class SqliteConnection {
  readonly #options: SqliteConnectionOptions;
  #db: DatabaseSync | undefined;
  /** Prepared statements by SQL: compiling one costs about as much as running it. */
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;

  constructor(options: SqliteConnectionOptions) {
    this.#options = options;
  }

  /**
   * Runs `work` with the database. A write that finds the file locked is
   * tried again after a pause (1, 2, 4 … 20 ms) until busyTimeoutMs have
   * passed; that is safe, as such a write changed nothing (each is one
   * statement, or a transaction begun IMMEDIATE).
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

  /** The statement for `sql`, compiled on first use. */
  sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#open().prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
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
