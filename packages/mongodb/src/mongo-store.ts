// MongoStore: the Store on MongoDB (or any MongoDB-wire server such as FerretDB).
// Runs and events are documents of their own; appends are idempotent through
// unique keys; nothing needs multi-document transactions or change streams.
import {
  AgentRpcError,
  type CachedResponse,
  type CacheKey,
  deepMerge,
  type EventBatch,
  type EventQuery,
  type Lease,
  type Memory,
  type MemoryPatch,
  type MemoryQuery,
  type Page,
  type RunEvent,
  type RunKey,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type Session,
  type SessionKey,
  type SessionPatch,
  type SessionQuery,
  type Store,
} from '@agentrpc/core';
import { clampLimit, decodeCursor, pageOfSessions } from '@agentrpc/core/internal';
import {
  type Collection,
  type Db,
  type Filter,
  MongoBulkWriteError,
  MongoClient,
  type MongoClientOptions,
} from 'mongodb';
import { docId, eventDocId } from './doc-ids.ts';
import { escapeRegex } from './escape-regex.ts';
import { migrateToIdsPerUser } from './ids-per-user-migration.ts';
import { guarded, isDuplicateKey } from './mongo-errors.ts';

export interface MongoStoreOptions {
  /** mongodb://… connection string. */
  url: string;
  /** Database name (default: the one in the URL, else `agentrpc`). */
  dbName?: string;
  /** Prefix for collection names, to share a database (default none). */
  collectionPrefix?: string;
  clientOptions?: MongoClientOptions;
}

type Doc<T> = T & { _id: string };
type SessionDoc = Doc<Session> & { _v: number; _recentRuns?: string[] };
type EventDoc = { _id: string; runId: string; seq: number; userId: string; event: RunEvent };

function strip<T>(doc: Doc<T> | null): T | null {
  if (!doc) return null;
  const { _id, _v, _recentRuns, ...rest } = doc as Doc<T> & { _v?: number; _recentRuns?: string[] };
  return rest as T;
}

/** How many recently completed run ids a session document keeps for history. */
const recentRunsKept = 50;

/**
 * Reads a user's document by _id alone, which carries the user: _id is the one
 * lookup every MongoDB-wire server serves from an index (FerretDB's SQLite
 * backend scans the collection for any other filter). The owner is checked
 * again in code.
 */
async function findOwned<T extends { userId: string }>(
  collection: Collection<Doc<T>>,
  id: string,
  userId: string,
): Promise<Doc<T> | null> {
  const filter = { _id: docId(userId, id) } as Filter<Doc<T>>;
  const doc = (await collection.findOne(filter)) as Doc<T> | null;
  return doc && doc.userId === userId ? doc : null;
}

function collections(db: Db, prefix: string) {
  return {
    sessions: db.collection<SessionDoc>(`${prefix}sessions`),
    runs: db.collection<Doc<RunRecord>>(`${prefix}runs`),
    events: db.collection<EventDoc>(`${prefix}events`),
    memories: db.collection<Doc<Memory>>(`${prefix}memories`),
    locks: db.collection<{ _id: string; owner: string; expiresAt: number }>(`${prefix}locks`),
    cache: db.collection<{
      _id: string;
      userId: string;
      expiresAt: number;
      response: CachedResponse;
    }>(`${prefix}response_cache`),
  };
}

type Collections = ReturnType<typeof collections>;

export class MongoStore implements Store {
  readonly #options: MongoStoreOptions;
  #client: MongoClient | undefined;
  #ready: Promise<Db> | undefined;

  constructor(options: MongoStoreOptions) {
    this.#options = options;
  }

  /** Connects and creates the indexes; called by the first operation. */
  connect(): Promise<Db> {
    this.#ready ??= guarded('connect', async () => {
      this.#client = new MongoClient(this.#options.url, {
        serverSelectionTimeoutMS: 5000,
        ...this.#options.clientOptions,
      });
      await this.#client.connect();
      const db = this.#client.db(
        this.#options.dbName ?? (new URL(this.#options.url).pathname.slice(1) || 'agentrpc'),
      );
      await migrateToIdsPerUser(db, this.#options.collectionPrefix ?? '');
      await this.#createIndexes(db);
      return db;
    }).catch((error) => {
      this.#ready = undefined; // let a later call try again
      throw error;
    });
    return this.#ready;
  }

  async #createIndexes(db: Db) {
    const c = collections(db, this.#options.collectionPrefix ?? '');
    await c.sessions.createIndex({ userId: 1, updatedAt: -1, _id: -1 });
    await c.sessions.createIndex({ userId: 1, createdAt: -1, _id: -1 });
    await c.sessions.createIndex({ updatedAt: 1 });
    await c.runs.createIndex({ userId: 1, sessionId: 1, createdAt: 1 });
    await c.runs.createIndex({ userId: 1, status: 1 });
    await c.runs.createIndex({ status: 1, createdAt: 1 });
    await c.events.createIndex({ userId: 1, runId: 1, seq: 1 }, { unique: true });
    await c.memories.createIndex({ userId: 1, updatedAt: -1 });
  }

  async #c(): Promise<Collections> {
    return collections(await this.connect(), this.#options.collectionPrefix ?? '');
  }

  createSession(session: Session): Promise<Session> {
    return guarded('create a session', async () => {
      const { sessions } = await this.#c();
      try {
        await sessions.insertOne({
          ...structuredClone(session),
          _id: docId(session.userId, session.sessionId),
          _v: 0,
        });
      } catch (error) {
        if (isDuplicateKey(error))
          throw new AgentRpcError('CONFLICT', `session ${session.sessionId} exists`);
        throw error;
      }
      return session;
    });
  }

  getSession(key: SessionKey): Promise<Session | null> {
    return guarded('read a session', async () => {
      const { sessions } = await this.#c();
      return strip(await findOwned(sessions, key.sessionId, key.userId));
    });
  }

  listSessions(query: SessionQuery): Promise<Page<Session>> {
    return guarded('list sessions', async () => {
      const { sessions } = await this.#c();
      const sortBy = query.sortBy ?? 'updatedAt';
      const dir = query.order === 'asc' ? 1 : -1;
      const limit = clampLimit(query.limit);
      const filter: Filter<SessionDoc> = { userId: query.userId };
      if (query.agentId) filter.agentId = query.agentId;
      if (query.name) filter.name = { $regex: escapeRegex(query.name), $options: 'i' };
      if (query.cursor) {
        const after = decodeCursor(query.cursor);
        const beyond = dir === 1 ? '$gt' : '$lt';
        filter.$or = [
          { [sortBy]: { [beyond]: after.value } },
          // Every _id here starts with the same user, so they order as the session ids do.
          { [sortBy]: after.value, _id: { [beyond]: docId(query.userId, after.id) } },
        ];
      }
      const docs = await sessions
        .find(filter)
        .sort({ [sortBy]: dir, _id: dir })
        .limit(limit + 1)
        .toArray();
      return pageOfSessions(
        docs.map((d) => strip(d) as Session),
        limit,
        (session) => session[sortBy],
      );
    });
  }

  updateSession(key: SessionKey, patch: SessionPatch): Promise<Session> {
    return guarded('update a session', async () => {
      const { sessions } = await this.#c();
      const { addRuns, addUsage, ...fields } = patch;
      const usage = Object.fromEntries(
        Object.entries(addUsage ?? {}).map(([name, value]) => [`usage.${name}`, value ?? 0]),
      );
      if (!(await findOwned(sessions, key.sessionId, key.userId))) {
        throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
      }
      const doc = await sessions.findOneAndUpdate(
        { _id: docId(key.userId, key.sessionId) },
        {
          $set: { ...structuredClone(fields), updatedAt: Date.now() },
          $inc: { runCount: addRuns ?? 0, _v: 1, ...usage },
        },
        { returnDocument: 'after' },
      );
      if (!doc) throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
      return strip(doc) as Session;
    });
  }

  updateSessionState(key: SessionKey, patch: Record<string, unknown>): Promise<Session> {
    return guarded('update session state', async () => {
      const { sessions } = await this.#c();
      // Compare-and-set on a version counter: concurrent merges never lose a write.
      for (let attempt = 0; attempt < 20; attempt++) {
        const current = await findOwned(sessions, key.sessionId, key.userId);
        if (!current) throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
        const state = deepMerge(current.state, patch);
        const doc = await sessions.findOneAndUpdate(
          { _id: docId(key.userId, key.sessionId), _v: current._v },
          { $set: { state, updatedAt: Date.now() }, $inc: { _v: 1 } },
          { returnDocument: 'after' },
        );
        if (doc) return strip(doc) as Session;
      }
      throw new AgentRpcError(
        'CONFLICT',
        `session ${key.sessionId} changed too often to merge its state; retry`,
      );
    });
  }

  deleteSession(key: SessionKey): Promise<boolean> {
    return guarded('delete a session', async () => {
      const c = await this.#c();
      if (!(await findOwned(c.sessions, key.sessionId, key.userId))) return false;
      const { deletedCount } = await c.sessions.deleteOne({
        _id: docId(key.userId, key.sessionId),
      });
      if (!deletedCount) return false;
      await this.#deleteRunsOf(c, [key]);
      return true;
    });
  }

  async #deleteRunsOf(c: Collections, sessions: SessionKey[]) {
    for (const { userId, sessionId } of sessions) {
      const runIds = (
        await c.runs.find({ userId, sessionId }, { projection: { runId: 1 } }).toArray()
      ).map((r) => r.runId);
      if (runIds.length) await c.events.deleteMany({ userId, runId: { $in: runIds } });
      await c.runs.deleteMany({ userId, sessionId });
    }
  }

  appendRun(run: RunRecord): Promise<void> {
    return guarded('append a run', async () => {
      const c = await this.#c();
      try {
        await c.runs.insertOne({ ...structuredClone(run), _id: docId(run.userId, run.runId) });
      } catch (error) {
        if (isDuplicateKey(error)) throw new AgentRpcError('CONFLICT', `run ${run.runId} exists`);
        throw error;
      }
      if (run.status === 'completed') await this.#rememberCompleted(c, run);
    });
  }

  updateRun(key: RunKey, patch: RunPatch): Promise<RunRecord> {
    return guarded('update a run', async () => {
      const c = await this.#c();
      const before = await findOwned(c.runs, key.runId, key.userId);
      if (!before) throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
      const doc = await c.runs.findOneAndUpdate(
        { _id: docId(key.userId, key.runId) },
        { $set: { ...structuredClone(patch), updatedAt: Date.now() } },
        { returnDocument: 'after' },
      );
      if (!doc) throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
      if (patch.status === 'completed' && before.status !== 'completed') {
        await this.#rememberCompleted(c, before);
      }
      return strip(doc) as RunRecord;
    });
  }

  getRun(key: RunKey): Promise<RunRecord | null> {
    return guarded('read a run', async () => {
      const { runs } = await this.#c();
      return strip(await findOwned(runs, key.runId, key.userId));
    });
  }

  getRuns(keys: RunKey[]): Promise<(RunRecord | null)[]> {
    return guarded('read runs', async () => {
      if (keys.length === 0) return [];
      const { runs } = await this.#c();
      const docs = await runs
        .find({ _id: { $in: keys.map((key) => docId(key.userId, key.runId)) } })
        .toArray();
      const byId = new Map(docs.map((doc) => [doc._id, doc]));
      return keys.map((key) => {
        const doc = byId.get(docId(key.userId, key.runId));
        return strip(doc && doc.userId === key.userId ? doc : null);
      });
    });
  }

  /**
   * Keeps the ids of a session's latest completed runs in its document, so the
   * history window is read by _id, as fast for the 1,000th run as for the first.
   * Only the run holding the session's lease completes runs, so no update races.
   */
  async #rememberCompleted(c: Collections, run: Pick<RunRecord, 'userId' | 'sessionId' | 'runId'>) {
    const _id = docId(run.userId, run.sessionId);
    const session = await c.sessions.findOne({ _id });
    if (!session) return;
    const recent = [...(session._recentRuns ?? []), run.runId].slice(-recentRunsKept);
    await c.sessions.updateOne({ _id }, { $set: { _recentRuns: recent } });
  }

  /** The history window by _id lookups, when the session document can serve it. */
  async #recentCompleted(c: Collections, query: RunQuery): Promise<RunRecord[] | undefined> {
    const limit = clampLimit(query.limit, 100, 10_000);
    if (query.status !== 'completed' || query.order === 'asc' || limit > recentRunsKept)
      return undefined;
    const session = await findOwned(c.sessions, query.sessionId, query.userId);
    if (!session) return [];
    if (!session._recentRuns) return undefined;
    const ids = session._recentRuns.slice(-limit).reverse();
    const docs = await Promise.all(ids.map((id) => findOwned(c.runs, id, query.userId)));
    return docs.filter((d) => d?.status === 'completed').map((d) => strip(d) as RunRecord);
  }

  listRuns(query: RunQuery): Promise<RunRecord[]> {
    return guarded('list runs', async () => {
      const c = await this.#c();
      const recent = await this.#recentCompleted(c, query);
      if (recent) return recent;
      const { runs } = c;
      const dir = query.order === 'asc' ? 1 : -1;
      const filter: Filter<Doc<RunRecord>> = { userId: query.userId, sessionId: query.sessionId };
      if (query.status) filter.status = query.status;
      const docs = await runs
        .find(filter)
        .sort({ createdAt: dir, _id: dir })
        .limit(clampLimit(query.limit, 100, 10_000))
        .toArray();
      return docs.map((d) => strip(d) as RunRecord);
    });
  }

  appendEvents(key: RunKey, events: RunEvent[]): Promise<void> {
    return this.appendEventBatches([{ key, events }]);
  }

  appendEventBatches(batches: EventBatch[]): Promise<void> {
    return guarded('append events', async () => {
      const c = await this.#c();
      // Every run must be its user's before anything is written.
      const ids = [...new Set(batches.map(({ key }) => docId(key.userId, key.runId)))];
      const owned = new Set<string>();
      const found = c.runs.find({ _id: { $in: ids } }, { projection: { _id: 1 } });
      for await (const run of found) owned.add(run._id);
      for (const { key } of batches) {
        if (!owned.has(docId(key.userId, key.runId))) {
          throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
        }
      }
      const docs = batches.flatMap(({ key, events }) =>
        events.map((event) => ({
          _id: eventDocId(key.userId, key.runId, event.seq),
          runId: key.runId,
          seq: event.seq,
          userId: key.userId,
          event: structuredClone(event),
        })),
      );
      if (docs.length === 0) return;
      try {
        await c.events.insertMany(docs, { ordered: false });
      } catch (error) {
        // Events already stored (a retried batch) are fine; anything else is not.
        const writeErrors = error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
        if (!writeErrors.length || writeErrors.some((e) => e.code !== 11000)) throw error;
      }
    });
  }

  readEvents(query: EventQuery): Promise<RunEvent[]> {
    return guarded('read events', async () => {
      const { events } = await this.#c();
      const docs = await events
        .find({ runId: query.runId, userId: query.userId, seq: { $gt: query.afterSeq ?? 0 } })
        .sort({ seq: 1 })
        .limit(clampLimit(query.limit, 1000, 10_000))
        .toArray();
      return docs.map((d) => d.event);
    });
  }

  readEventBatches(queries: EventQuery[]): Promise<RunEvent[][]> {
    return guarded('read events', async () => {
      if (queries.length === 0) return [];
      const { events } = await this.#c();
      // One find for every run: a server polls all the runs it follows on
      // other instances at once. A run whose events fall past the overall
      // limit gets a shorter list (a prefix), and the rest on its next read.
      const limits = queries.map((query) => clampLimit(query.limit, 1000, 10_000));
      const docs = await events
        .find({
          $or: queries.map((query) => ({
            runId: query.runId,
            userId: query.userId,
            seq: { $gt: query.afterSeq ?? 0 },
          })),
        })
        .sort({ runId: 1, seq: 1 })
        .limit(
          Math.min(
            10_000,
            limits.reduce((sum, limit) => sum + limit, 0),
          ),
        )
        .toArray();
      const byRun = new Map<string, RunEvent[]>();
      for (const doc of docs) {
        const key = `${doc.userId}\u0000${doc.runId}`;
        const list = byRun.get(key);
        if (list) list.push(doc.event);
        else byRun.set(key, [doc.event]);
      }
      return queries.map((query, i) =>
        (byRun.get(`${query.userId}\u0000${query.runId}`) ?? [])
          .filter((event) => event.seq > (query.afterSeq ?? 0))
          .slice(0, limits[i]),
      );
    });
  }

  createMemory(memory: Memory): Promise<Memory> {
    return guarded('create a memory', async () => {
      const { memories } = await this.#c();
      try {
        await memories.insertOne({ ...structuredClone(memory), _id: memory.memoryId });
      } catch (error) {
        if (isDuplicateKey(error))
          throw new AgentRpcError('CONFLICT', `memory ${memory.memoryId} exists`);
        throw error;
      }
      return memory;
    });
  }

  listMemories(query: MemoryQuery): Promise<Memory[]> {
    return guarded('list memories', async () => {
      const { memories } = await this.#c();
      const filter: Filter<Doc<Memory>> = { userId: query.userId };
      if (query.agentId) filter.agentId = query.agentId;
      const docs = await memories
        .find(filter)
        .sort({ updatedAt: -1, _id: -1 })
        .limit(clampLimit(query.limit, 100, 1000))
        .toArray();
      return docs.map((d) => strip(d) as Memory);
    });
  }

  updateMemory(key: { userId: string; memoryId: string }, patch: MemoryPatch): Promise<Memory> {
    return guarded('update a memory', async () => {
      const { memories } = await this.#c();
      const doc = await memories.findOneAndUpdate(
        { _id: key.memoryId, userId: key.userId },
        { $set: { ...structuredClone(patch), updatedAt: Date.now() } },
        { returnDocument: 'after' },
      );
      if (!doc) throw new AgentRpcError('NOT_FOUND', `memory ${key.memoryId} not found`);
      return strip(doc) as Memory;
    });
  }

  deleteMemory(key: { userId: string; memoryId: string }): Promise<boolean> {
    return guarded('delete a memory', async () => {
      const { memories } = await this.#c();
      return (await memories.deleteOne({ _id: key.memoryId, userId: key.userId })).deletedCount > 0;
    });
  }

  acquireLease(lease: Lease): Promise<boolean> {
    return guarded('acquire a lease', async () => {
      const { locks } = await this.#c();
      const now = Date.now();
      try {
        await locks.insertOne({ _id: lease.key, owner: lease.owner, expiresAt: now + lease.ttlMs });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // Taken: take it over only if it is ours already or has expired (one atomic update).
      const doc = await locks.findOneAndUpdate(
        { _id: lease.key, $or: [{ owner: lease.owner }, { expiresAt: { $lte: now } }] },
        { $set: { owner: lease.owner, expiresAt: now + lease.ttlMs } },
        { returnDocument: 'after' },
      );
      return doc?.owner === lease.owner;
    });
  }

  renewLease(lease: Lease): Promise<boolean> {
    return guarded('renew a lease', async () => {
      const { locks } = await this.#c();
      const result = await locks.updateOne(
        { _id: lease.key, owner: lease.owner },
        { $set: { expiresAt: Date.now() + lease.ttlMs } },
      );
      return result.matchedCount > 0;
    });
  }

  releaseLease(lease: Omit<Lease, 'ttlMs'>): Promise<void> {
    return guarded('release a lease', async () => {
      const { locks } = await this.#c();
      await locks.deleteOne({ _id: lease.key, owner: lease.owner });
    });
  }

  getCachedResponse(key: CacheKey): Promise<CachedResponse | null> {
    return guarded('read the response cache', async () => {
      const { cache } = await this.#c();
      const doc = await cache.findOne({ _id: docId(key.userId, key.key) });
      return doc && doc.userId === key.userId && doc.expiresAt > Date.now() ? doc.response : null;
    });
  }

  putCachedResponse(key: CacheKey, response: CachedResponse, ttlMs: number): Promise<void> {
    return guarded('write the response cache', async () => {
      const { cache } = await this.#c();
      const doc = {
        userId: key.userId,
        expiresAt: Date.now() + ttlMs,
        response: structuredClone(response),
      };
      await cache.replaceOne({ _id: docId(key.userId, key.key) }, doc, { upsert: true });
    });
  }

  listUnfinishedRuns(limit?: number): Promise<RunRecord[]> {
    return guarded('list unfinished runs', async () => {
      const { runs } = await this.#c();
      const docs = await runs
        .find({ status: { $in: ['running', 'pending'] } })
        .sort({ createdAt: 1, _id: 1 })
        .limit(clampLimit(limit, 100, 10_000))
        .toArray();
      return docs.map((d) => strip(d) as RunRecord);
    });
  }

  deleteIdleSessions(before: number): Promise<number> {
    return guarded('delete idle sessions', async () => {
      const c = await this.#c();
      const idle = await c.sessions
        .find({ updatedAt: { $lt: before } }, { projection: { _id: 1, userId: 1, sessionId: 1 } })
        .toArray();
      if (!idle.length) return 0;
      // Runs and events first: a crash part-way leaves sessions to retry, not orphans.
      await this.#deleteRunsOf(c, idle);
      const { deletedCount } = await c.sessions.deleteMany({
        _id: { $in: idle.map((session) => session._id) },
        updatedAt: { $lt: before },
      });
      return deletedCount;
    });
  }

  describe(): string {
    // Host and database only: the URL may carry a password.
    const url = new URL(this.#options.url);
    return `MongoDB at ${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#ready = Promise.reject(new AgentRpcError('STORE_ERROR', 'the MongoStore is closed'));
    this.#ready.catch(() => {});
    await client?.close();
  }
}
