// SqliteStore: the embedded default Store, one file through node:sqlite.
// WAL mode lets several processes share the file. Each write is all or
// nothing; the writes of one turn of the event loop run together at its end,
// in one transaction (sqlite-write-queue.ts), so each takes what it needs from
// its arguments when it is called.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import type { RunRecord } from '../run/types.ts';
import { deepMerge } from '../session/deep-merge.ts';
import { addUsage, type Memory, type Session } from '../session/types.ts';
import { copyValue } from './copy-value.ts';
import { clampLimit, decodeCursor, pageOfSessions } from './cursor.ts';
import { SqliteConnection } from './sqlite-connection.ts';
import { storeError } from './sqlite-errors.ts';
import { type EventRow, eventsOfRows, insertEventRows, toEventRows } from './sqlite-event-rows.ts';
import { SqliteEventWriter } from './sqlite-event-writer.ts';
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

const parse = <T>(row: unknown): T => JSON.parse((row as { data: string }).data) as T;

/** The key's ids, taken when a write is queued: the caller's object may change before it runs. */
const sessionKey = ({ userId, sessionId }: SessionKey): SessionKey => ({ userId, sessionId });

const defaultBusyTimeoutMs = 5000;

export class SqliteStore implements Store {
  readonly path: string;
  readonly #eventWrites: 'worker' | 'inline';
  readonly #busyTimeoutMs: number;
  readonly #connection: SqliteConnection;
  #eventWriter: SqliteEventWriter | undefined;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = options.path ?? '.agentrpc/agentrpc.db';
    this.#eventWrites = this.path === ':memory:' ? 'inline' : (options.eventWrites ?? 'worker');
    this.#busyTimeoutMs = options.busyTimeoutMs ?? defaultBusyTimeoutMs;
    this.#connection = new SqliteConnection({
      path: this.path,
      busyTimeoutMs: this.#busyTimeoutMs,
      checkpointsElsewhere: this.#eventWrites === 'worker',
    });
  }

  #use<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    return this.#connection.use(action, work);
  }

  #write<T>(action: string, work: (db: DatabaseSync) => T): Promise<T> {
    return this.#connection.write(action, work);
  }

  /** A write whose arguments are taken (copied, serialised) now; failing that fails the write. */
  #writeTaking<A, T>(
    action: string,
    take: () => A,
    work: (taken: A, db: DatabaseSync) => T,
  ): Promise<T> {
    let taken: A;
    try {
      taken = take();
    } catch (error) {
      return Promise.reject(storeError(action, error));
    }
    return this.#write(action, (db) => work(taken, db));
  }

  #sql(sql: string): StatementSync {
    return this.#connection.sql(sql);
  }

  #sessionRow(key: SessionKey): Session | undefined {
    const row = this.#sql('SELECT data FROM sessions WHERE session_id = ? AND user_id = ?').get(
      key.sessionId,
      key.userId,
    );
    return row ? parse<Session>(row) : undefined;
  }

  #writeSession(session: Session) {
    this.#sql(
      'UPDATE sessions SET name = ?, updated_at = ?, data = ? WHERE user_id = ? AND session_id = ?',
    ).run(
      session.name,
      session.updatedAt,
      JSON.stringify(session),
      session.userId,
      session.sessionId,
    );
  }

  createSession(input: Session): Promise<Session> {
    return this.#writeTaking(
      'create a session',
      () => copyValue(input),
      (session) => {
        const inserted = this.#sql(
          'INSERT INTO sessions (session_id, user_id, agent_id, name, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        ).run(
          session.sessionId,
          session.userId,
          session.agentId,
          session.name,
          session.createdAt,
          session.updatedAt,
          JSON.stringify(session),
        );
        if (!inserted.changes)
          throw new AgentRpcError('CONFLICT', `session ${session.sessionId} exists`);
        return session;
      },
    );
  }

  getSession(key: SessionKey): Promise<Session | null> {
    return this.#use('read a session', () => this.#sessionRow(key) ?? null);
  }

  listSessions(query: SessionQuery): Promise<Page<Session>> {
    return this.#use('list sessions', () => {
      const column = query.sortBy === 'createdAt' ? 'created_at' : 'updated_at';
      const field = query.sortBy ?? 'updatedAt';
      const asc = query.order === 'asc';
      const limit = clampLimit(query.limit);
      const where = ['user_id = ?'];
      const params: SQLInputValue[] = [query.userId];
      if (query.agentId) {
        where.push('agent_id = ?');
        params.push(query.agentId);
      }
      if (query.name) {
        where.push("name LIKE ? ESCAPE '\\'");
        params.push(`%${query.name.replace(/[\\%_]/g, '\\$&')}%`);
      }
      if (query.cursor) {
        const after = decodeCursor(query.cursor);
        const op = asc ? '>' : '<';
        where.push(`(${column} ${op} ? OR (${column} = ? AND session_id ${op} ?))`);
        params.push(after.value, after.value, after.id);
      }
      const dir = asc ? 'ASC' : 'DESC';
      const rows = this.#sql(
        `SELECT data FROM sessions WHERE ${where.join(' AND ')} ORDER BY ${column} ${dir}, session_id ${dir} LIMIT ?`,
      ).all(...params, limit + 1);
      return pageOfSessions(
        rows.map((row) => parse<Session>(row)),
        limit,
        (session) => session[field],
      );
    });
  }

  updateSession(key: SessionKey, patch: SessionPatch): Promise<Session> {
    const at = sessionKey(key);
    return this.#writeTaking(
      'update a session',
      () => copyValue(patch),
      (changes) => {
        const { addRuns, addUsage: usage, ...fields } = changes;
        const session = this.#sessionRow(at);
        if (!session) throw new AgentRpcError('NOT_FOUND', `session ${at.sessionId} not found`);
        Object.assign(session, fields, {
          updatedAt: Math.max(Date.now(), session.updatedAt),
        });
        if (addRuns) session.runCount += addRuns;
        if (usage) session.usage = addUsage(session.usage, usage);
        this.#writeSession(session);
        return session;
      },
    );
  }

  updateSessionState(key: SessionKey, patch: Record<string, unknown>): Promise<Session> {
    const at = sessionKey(key);
    return this.#writeTaking(
      'update session state',
      () => copyValue(patch),
      (merged) => {
        const session = this.#sessionRow(at);
        if (!session) throw new AgentRpcError('NOT_FOUND', `session ${at.sessionId} not found`);
        session.state = deepMerge(session.state, merged);
        session.updatedAt = Math.max(Date.now(), session.updatedAt);
        this.#writeSession(session);
        return session;
      },
    );
  }

  deleteSession(key: SessionKey): Promise<boolean> {
    const at = sessionKey(key);
    return this.#write('delete a session', () => {
      const deleted = this.#sql('DELETE FROM sessions WHERE session_id = ? AND user_id = ?').run(
        at.sessionId,
        at.userId,
      );
      if (!deleted.changes) return false;
      this.#deleteRunsOf(at);
      return true;
    });
  }

  #deleteRunsOf(key: SessionKey) {
    this.#sql(
      'DELETE FROM events WHERE run_num IN (SELECT num FROM runs WHERE user_id = ? AND session_id = ?)',
    ).run(key.userId, key.sessionId);
    this.#sql('DELETE FROM runs WHERE user_id = ? AND session_id = ?').run(
      key.userId,
      key.sessionId,
    );
  }

  appendRun(run: RunRecord): Promise<void> {
    const { runId, sessionId, userId, status, createdAt } = run;
    return this.#writeTaking(
      'append a run',
      () => JSON.stringify(run),
      (data) => {
        const inserted = this.#sql(
          'INSERT INTO runs (run_id, session_id, user_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        ).run(runId, sessionId, userId, status, createdAt, data);
        if (!inserted.changes) throw new AgentRpcError('CONFLICT', `run ${runId} exists`);
      },
    );
  }

  updateRun(key: RunKey, patch: RunPatch): Promise<RunRecord> {
    const { userId, runId } = key;
    return this.#writeTaking(
      'update a run',
      () => copyValue(patch),
      (changes) => {
        const row = this.#sql('SELECT data FROM runs WHERE run_id = ? AND user_id = ?').get(
          runId,
          userId,
        );
        if (!row) throw new AgentRpcError('NOT_FOUND', `run ${runId} not found`);
        const run = Object.assign(parse<RunRecord>(row), changes, {
          updatedAt: Date.now(),
        });
        this.#sql('UPDATE runs SET status = ?, data = ? WHERE user_id = ? AND run_id = ?').run(
          run.status,
          JSON.stringify(run),
          run.userId,
          run.runId,
        );
        return run;
      },
    );
  }

  getRun(key: RunKey): Promise<RunRecord | null> {
    return this.#use('read a run', () => this.#runRow(key));
  }

  getRuns(keys: RunKey[]): Promise<(RunRecord | null)[]> {
    return this.#use('read runs', () => keys.map((key) => this.#runRow(key)));
  }

  #runRow(key: RunKey): RunRecord | null {
    const row = this.#sql('SELECT data FROM runs WHERE run_id = ? AND user_id = ?').get(
      key.runId,
      key.userId,
    );
    return row ? parse<RunRecord>(row) : null;
  }

  listRuns(query: RunQuery): Promise<RunRecord[]> {
    return this.#use('list runs', () => {
      const dir = query.order === 'asc' ? 'ASC' : 'DESC';
      const status = query.status ? 'AND status = ?' : '';
      const params: SQLInputValue[] = [
        query.userId,
        query.sessionId,
        ...(query.status ? [query.status] : []),
      ];
      return this.#sql(
        `SELECT data FROM runs WHERE user_id = ? AND session_id = ? ${status} ORDER BY created_at ${dir}, run_id ${dir} LIMIT ?`,
      )
        .all(...params, clampLimit(query.limit, 100, 10_000))
        .map((row) => parse<RunRecord>(row));
    });
  }

  appendEvents(key: RunKey, events: RunEvent[]): Promise<void> {
    return this.appendEventBatches([{ key, events }]);
  }

  appendEventBatches(batches: EventBatch[]): Promise<void> {
    if (this.#eventWrites === 'worker') {
      // The file is opened (and migrated) here first, so the worker finds its tables.
      return this.#use('append events', () => this.#eventWriter ?? this.#startEventWriter()).then(
        (writer) => writer.write(batches),
      );
    }
    return this.#writeTaking(
      'append events',
      () => toEventRows(batches),
      (rows, db) => insertEventRows(db, rows),
    );
  }

  readEvents(query: EventQuery): Promise<RunEvent[]> {
    return this.#use('read events', () => this.#eventsOf(query));
  }

  readEventBatches(queries: EventQuery[]): Promise<RunEvent[][]> {
    return this.#use('read events', () => queries.map((query) => this.#eventsOf(query)));
  }

  #eventsOf(query: EventQuery): RunEvent[] {
    const run = this.#sql('SELECT num FROM runs WHERE run_id = ? AND user_id = ?').get(
      query.runId,
      query.userId,
    ) as { num: number } | undefined;
    if (!run) return [];
    const afterSeq = query.afterSeq ?? 0;
    const limit = clampLimit(query.limit, 1000, 10_000);
    const rows: EventRow[] = [];
    if (afterSeq > 0) {
      // The row holding afterSeq may hold events after it too.
      const holding = this.#sql(
        'SELECT seq, last_seq, data FROM events WHERE run_num = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
      ).get(run.num, afterSeq) as EventRow | undefined;
      if (holding?.last_seq && holding.last_seq > afterSeq) rows.push(holding);
    }
    const after = this.#sql(
      'SELECT seq, last_seq, data FROM events WHERE run_num = ? AND seq > ? ORDER BY seq LIMIT ?',
    ).all(run.num, afterSeq, limit) as unknown as EventRow[];
    return eventsOfRows(rows.concat(after), { runId: query.runId, afterSeq, limit });
  }

  createMemory(input: Memory): Promise<Memory> {
    return this.#writeTaking(
      'create a memory',
      () => copyValue(input),
      (memory) => {
        const inserted = this.#sql(
          'INSERT INTO memories (memory_id, user_id, agent_id, updated_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        ).run(
          memory.memoryId,
          memory.userId,
          memory.agentId ?? null,
          memory.updatedAt,
          JSON.stringify(memory),
        );
        if (!inserted.changes)
          throw new AgentRpcError('CONFLICT', `memory ${memory.memoryId} exists`);
        return memory;
      },
    );
  }

  listMemories(query: MemoryQuery): Promise<Memory[]> {
    return this.#use('list memories', () => {
      const agent = query.agentId ? 'AND agent_id = ?' : '';
      const params: SQLInputValue[] = [query.userId, ...(query.agentId ? [query.agentId] : [])];
      return this.#sql(
        `SELECT data FROM memories WHERE user_id = ? ${agent} ORDER BY updated_at DESC, memory_id DESC LIMIT ?`,
      )
        .all(...params, clampLimit(query.limit, 100, 1000))
        .map((row) => parse<Memory>(row));
    });
  }

  updateMemory(key: { userId: string; memoryId: string }, patch: MemoryPatch): Promise<Memory> {
    const { userId, memoryId } = key;
    return this.#writeTaking(
      'update a memory',
      () => copyValue(patch),
      (changes) => {
        const row = this.#sql('SELECT data FROM memories WHERE memory_id = ? AND user_id = ?').get(
          memoryId,
          userId,
        );
        if (!row) throw new AgentRpcError('NOT_FOUND', `memory ${memoryId} not found`);
        const memory = Object.assign(parse<Memory>(row), changes, {
          updatedAt: Date.now(),
        });
        this.#sql('UPDATE memories SET updated_at = ?, data = ? WHERE memory_id = ?').run(
          memory.updatedAt,
          JSON.stringify(memory),
          memory.memoryId,
        );
        return memory;
      },
    );
  }

  deleteMemory(key: { userId: string; memoryId: string }): Promise<boolean> {
    const { userId, memoryId } = key;
    return this.#write(
      'delete a memory',
      () =>
        this.#sql('DELETE FROM memories WHERE memory_id = ? AND user_id = ?').run(memoryId, userId)
          .changes > 0,
    );
  }

  acquireLease(input: Lease): Promise<boolean> {
    const lease = { ...input };
    return this.#write('acquire a lease', () => {
      const now = Date.now();
      // One statement: insert, or take over a lease that is ours or expired.
      const result = this.#sql(
        `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
      ).run(lease.key, lease.owner, now + lease.ttlMs, now);
      return result.changes > 0;
    });
  }

  renewLease(input: Lease): Promise<boolean> {
    const lease = { ...input };
    return this.#write(
      'renew a lease',
      () =>
        this.#sql('UPDATE leases SET expires_at = ? WHERE key = ? AND owner = ?').run(
          Date.now() + lease.ttlMs,
          lease.key,
          lease.owner,
        ).changes > 0,
    );
  }

  releaseLease(lease: Omit<Lease, 'ttlMs'>): Promise<void> {
    const { key, owner } = lease;
    return this.#write('release a lease', () => {
      this.#sql('DELETE FROM leases WHERE key = ? AND owner = ?').run(key, owner);
    });
  }

  getCachedResponse(key: CacheKey): Promise<CachedResponse | null> {
    return this.#use('read the response cache', () => {
      const row = this.#sql(
        'SELECT data FROM response_cache WHERE user_id = ? AND key = ? AND expires_at > ?',
      ).get(key.userId, key.key, Date.now());
      return row ? parse<CachedResponse>(row) : null;
    });
  }

  putCachedResponse(key: CacheKey, response: CachedResponse, ttlMs: number): Promise<void> {
    const { userId, key: cacheKey } = key;
    return this.#writeTaking(
      'write the response cache',
      () => JSON.stringify(response),
      (data) => {
        this.#sql(
          `INSERT INTO response_cache (user_id, key, expires_at, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, key) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data`,
        ).run(userId, cacheKey, Date.now() + ttlMs, data);
        this.#sql('DELETE FROM response_cache WHERE expires_at <= ?').run(Date.now());
      },
    );
  }

  listUnfinishedRuns(limit?: number): Promise<RunRecord[]> {
    return this.#use('list unfinished runs', () =>
      this.#sql(
        "SELECT data FROM runs WHERE status IN ('running', 'pending') ORDER BY created_at LIMIT ?",
      )
        .all(clampLimit(limit, 100, 10_000))
        .map((row) => parse<RunRecord>(row)),
    );
  }

  deleteIdleSessions(before: number): Promise<number> {
    return this.#write('delete idle sessions', () => {
      const idle = this.#sql('SELECT user_id, session_id FROM sessions WHERE updated_at < ?').all(
        before,
      ) as { user_id: string; session_id: string }[];
      for (const row of idle) {
        this.#deleteRunsOf({ userId: row.user_id, sessionId: row.session_id });
      }
      return Number(this.#sql('DELETE FROM sessions WHERE updated_at < ?').run(before).changes);
    });
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
