// SqliteStore: the embedded default Store, one file through node:sqlite.
// WAL mode lets several processes share the file. Each write is all or
// nothing; the writes of one turn of the event loop run together at its end,
// in one transaction (sqlite-write-queue.ts), so each takes what it needs from
// its arguments when it is called. The SQL of each kind of record is in its
// own module (sqlite-session-rows.ts, sqlite-run-rows.ts, …); this class
// decides when each runs: a read at once, a write with its turn's others.
import type { DatabaseSync } from 'node:sqlite';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { RunEvent } from '../run/events.ts';
import type { RunRecord } from '../run/types.ts';
import type { Memory, Session } from '../session/types.ts';
import { copyValue } from './copy-value.ts';
import { readCachedResponse, writeCachedResponse } from './sqlite-cache-rows.ts';
import { readTogether, type Sql, SqliteConnection } from './sqlite-connection.ts';
import { storeError } from './sqlite-errors.ts';
import { readEventRows, toEventRows } from './sqlite-event-rows.ts';
import { insertEventRows } from './sqlite-event-segments.ts';
import { SqliteEventWriter } from './sqlite-event-writer.ts';
import { dropLease, extendLease, takeLease } from './sqlite-lease-rows.ts';
import {
  deleteMemoryRow,
  insertMemory,
  listMemoryRows,
  type MemoryKey,
  patchMemory,
} from './sqlite-memory-rows.ts';
import {
  insertRun,
  listRunRows,
  listUnfinishedRunRows,
  patchRun,
  readRun,
  readStopRequests,
  runRowOf,
} from './sqlite-run-rows.ts';
import {
  deleteIdleSessionRows,
  deleteSessionRow,
  insertSession,
  listSessionRows,
  mergeSessionState,
  patchSession,
  readSession,
} from './sqlite-session-rows.ts';
import type {
  CachedResponse,
  CacheKey,
  EventBatch,
  EventQuery,
  Lease,
  MemoryPatch,
  MemoryQuery,
  Page,
  RunKey,
  RunPatch,
  RunQuery,
  SessionKey,
  SessionPatch,
  SessionQuery,
  Store,
} from './types.ts';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. Default `.agentrpc/agentrpc.db`. */
  path?: string;
  /**
   * Where the event log is written: on a worker thread with a connection of its
   * own ('worker', the default for a file), or on the caller's thread
   * ('inline', always for ':memory:', which a second connection cannot share).
   */
  eventWrites?: 'worker' | 'inline';
  /**
   * How long a write waits for another connection's write lock (the event
   * worker's, another process's) before it fails with STORE_ERROR. Default
   * 5,000 ms. The wait is spent off the event loop.
   */
  busyTimeoutMs?: number;
}

/** The key's ids, taken when a write is queued: the caller's object may change before it runs. */
const sessionKey = ({ userId, sessionId }: SessionKey): SessionKey => ({ userId, sessionId });
const runKey = ({ userId, runId }: RunKey): RunKey => ({ userId, runId });
const memoryKey = ({ userId, memoryId }: MemoryKey): MemoryKey => ({ userId, memoryId });

const defaultBusyTimeoutMs = 5000;
/**
 * Runs per read of getStopRequests. Reads hold the event loop, some 3 µs a
 * run read together (6 µs a statement on its own, while the event worker
 * writes): 500 at once, a read each, held it for 5–7 ms, which showed in every
 * stream's gaps.
 */
const stopRequestSlice = 64;

export class SqliteStore implements Store {
  readonly path: string;
  readonly #eventWrites: 'worker' | 'inline';
  readonly #busyTimeoutMs: number;
  readonly #connection: SqliteConnection;
  readonly #sql: Sql;
  #eventWriter: SqliteEventWriter | undefined;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = options.path ?? '.agentrpc/agentrpc.db';
    this.#eventWrites = this.path === ':memory:' ? 'inline' : (options.eventWrites ?? 'worker');
    this.#busyTimeoutMs = options.busyTimeoutMs ?? defaultBusyTimeoutMs;
    const connection = new SqliteConnection({
      path: this.path,
      busyTimeoutMs: this.#busyTimeoutMs,
      checkpointsElsewhere: this.#eventWrites === 'worker',
    });
    this.#connection = connection;
    this.#sql = (text) => connection.sql(text);
  }

  /** Reads at once. */
  #read<T>(action: string, work: (sql: Sql) => T): Promise<T> {
    return this.#connection.use(action, () => work(this.#sql));
  }

  /** Reads at once, several statements in one read transaction (readTogether). */
  #readTogether<T>(action: string, work: (sql: Sql) => T): Promise<T> {
    return this.#connection.use(action, (db) => readTogether(db, () => work(this.#sql)));
  }

  /** Writes with the other writes of this turn. */
  #write<T>(action: string, work: (sql: Sql, db: DatabaseSync) => T): Promise<T> {
    return this.#connection.write(action, (db) => work(this.#sql, db));
  }

  /** A write whose arguments are taken (copied, serialised) now; failing that fails the write. */
  #writeTaking<A, T>(
    action: string,
    take: () => A,
    work: (taken: A, sql: Sql, db: DatabaseSync) => T,
  ): Promise<T> {
    let taken: A;
    try {
      taken = take();
    } catch (error) {
      return Promise.reject(storeError(action, error));
    }
    return this.#write(action, (sql, db) => work(taken, sql, db));
  }

  createSession(input: Session): Promise<Session> {
    return this.#writeTaking(
      'create a session',
      () => copyValue(input),
      (session, sql) => insertSession(sql, session),
    );
  }

  getSession(key: SessionKey): Promise<Session | null> {
    return this.#read('read a session', (sql) => readSession(sql, key) ?? null);
  }

  listSessions(query: SessionQuery): Promise<Page<Session>> {
    return this.#read('list sessions', (sql) => listSessionRows(sql, query));
  }

  updateSession(key: SessionKey, patch: SessionPatch): Promise<Session> {
    const at = sessionKey(key);
    return this.#writeTaking(
      'update a session',
      () => copyValue(patch),
      (changes, sql) => patchSession(sql, at, changes),
    );
  }

  updateSessionState(key: SessionKey, patch: Record<string, unknown>): Promise<Session> {
    const at = sessionKey(key);
    return this.#writeTaking(
      'update session state',
      () => copyValue(patch),
      (merged, sql) => mergeSessionState(sql, at, merged),
    );
  }

  deleteSession(key: SessionKey): Promise<boolean> {
    const at = sessionKey(key);
    return this.#write('delete a session', (sql) => deleteSessionRow(sql, at));
  }

  deleteIdleSessions(before: number): Promise<number> {
    return this.#write('delete idle sessions', (sql) => deleteIdleSessionRows(sql, before));
  }

  appendRun(run: RunRecord): Promise<void> {
    return this.#writeTaking(
      'append a run',
      () => runRowOf(run),
      (row, sql) => insertRun(sql, row),
    );
  }

  updateRun(key: RunKey, patch: RunPatch): Promise<RunRecord> {
    const at = runKey(key);
    return this.#writeTaking(
      'update a run',
      () => copyValue(patch),
      (changes, sql) => patchRun(sql, at, changes),
    );
  }

  getRun(key: RunKey): Promise<RunRecord | null> {
    return this.#read('read a run', (sql) => readRun(sql, key));
  }

  getRuns(keys: RunKey[]): Promise<(RunRecord | null)[]> {
    return this.#readTogether('read runs', (sql) => keys.map((key) => readRun(sql, key)));
  }

  /** In slices, with the event loop let run between them: a server asks this for every run it has going. */
  async getStopRequests(keys: RunKey[]): Promise<boolean[]> {
    const stops: boolean[] = [];
    for (let at = 0; at < keys.length; at += stopRequestSlice) {
      if (at > 0) await yieldToIo();
      const slice = keys.slice(at, at + stopRequestSlice);
      stops.push(
        ...(await this.#readTogether('read stop requests', (sql) => readStopRequests(sql, slice))),
      );
    }
    return stops;
  }

  listRuns(query: RunQuery): Promise<RunRecord[]> {
    return this.#read('list runs', (sql) => listRunRows(sql, query));
  }

  listUnfinishedRuns(limit?: number): Promise<RunRecord[]> {
    return this.#read('list unfinished runs', (sql) => listUnfinishedRunRows(sql, limit));
  }

  appendEvents(key: RunKey, events: RunEvent[]): Promise<void> {
    return this.appendEventBatches([{ key, events }]);
  }

  appendEventBatches(batches: EventBatch[]): Promise<void> {
    if (this.#eventWrites === 'worker') {
      // The file is opened (and migrated) here first, so the worker finds its tables.
      return this.#connection
        .use('append events', () => this.#eventWriter ?? this.#startEventWriter())
        .then((writer) => writer.write(batches));
    }
    return this.#writeTaking(
      'append events',
      () => toEventRows(batches),
      (rows, _sql, db) => insertEventRows(db, rows),
    );
  }

  readEvents(query: EventQuery): Promise<RunEvent[]> {
    return this.#readTogether('read events', (sql) => readEventRows(sql, query));
  }

  readEventBatches(queries: EventQuery[]): Promise<RunEvent[][]> {
    return this.#readTogether('read events', (sql) =>
      queries.map((query) => readEventRows(sql, query)),
    );
  }

  createMemory(input: Memory): Promise<Memory> {
    return this.#writeTaking(
      'create a memory',
      () => copyValue(input),
      (memory, sql) => insertMemory(sql, memory),
    );
  }

  listMemories(query: MemoryQuery): Promise<Memory[]> {
    return this.#read('list memories', (sql) => listMemoryRows(sql, query));
  }

  updateMemory(key: MemoryKey, patch: MemoryPatch): Promise<Memory> {
    const at = memoryKey(key);
    return this.#writeTaking(
      'update a memory',
      () => copyValue(patch),
      (changes, sql) => patchMemory(sql, at, changes),
    );
  }

  deleteMemory(key: MemoryKey): Promise<boolean> {
    const at = memoryKey(key);
    return this.#write('delete a memory', (sql) => deleteMemoryRow(sql, at));
  }

  acquireLease(input: Lease): Promise<boolean> {
    const lease = { ...input };
    return this.#write('acquire a lease', (sql) => takeLease(sql, lease));
  }

  renewLease(input: Lease): Promise<boolean> {
    const lease = { ...input };
    return this.#write('renew a lease', (sql) => extendLease(sql, lease));
  }

  releaseLease(input: Omit<Lease, 'ttlMs'>): Promise<void> {
    const lease = { key: input.key, owner: input.owner };
    return this.#write('release a lease', (sql) => dropLease(sql, lease));
  }

  getCachedResponse(key: CacheKey): Promise<CachedResponse | null> {
    return this.#read('read the response cache', (sql) => readCachedResponse(sql, key));
  }

  putCachedResponse(key: CacheKey, response: CachedResponse, ttlMs: number): Promise<void> {
    const at = { userId: key.userId, key: key.key };
    return this.#writeTaking(
      'write the response cache',
      () => JSON.stringify(response),
      (data, sql) => writeCachedResponse(sql, { key: at, data, ttlMs }),
    );
  }

  describe(): string {
    return `SQLite at ${this.path}`;
  }

  #startEventWriter(): SqliteEventWriter {
    this.#eventWriter = new SqliteEventWriter(this.path, { busyTimeoutMs: this.#busyTimeoutMs });
    return this.#eventWriter;
  }

  async close(): Promise<void> {
    this.#connection.close();
    await this.#eventWriter?.close();
  }
}
