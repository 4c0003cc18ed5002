// MongoStore: the Store on MongoDB (or any MongoDB-wire server such as FerretDB).
// Each write copies what it was given before its first round trip, as callers
// may change their objects once the call returns.
// Runs and events are documents of their own (runs split by status, see
// run-docs.ts); appends are idempotent through unique keys; nothing needs
// multi-document transactions or change streams.
import {
  AgentRpcError,
  type CachedResponse,
  type CacheKey,
  type EventBatch,
  type EventQuery,
  type GetRunOptions,
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
import type { Db, MongoClientOptions } from 'mongodb';
import { findCachedResponse, replaceCachedResponse } from './cache-docs.ts';
import { type Collections, collections, createIndexes, findOwned, strip } from './collections.ts';
import { docId } from './doc-ids.ts';
import { checkRunsOwned, findEventBatches, insertEvents } from './event-docs.ts';
import { KnownRuns } from './known-runs.ts';
import { dropLease, extendLease, takeLease } from './lease-docs.ts';
import { LiveFeed } from './live-feed.ts';
import { deleteMemoryDoc, findMemories, insertMemory, patchMemory } from './memory-docs.ts';
import { migrate } from './migrations.ts';
import { MongoClients, type StoreDbs } from './mongo-clients.ts';
import { guarded } from './mongo-errors.ts';
import { recentCompletedRuns, rememberRun } from './recent-runs.ts';
import {
  deleteRunsOf,
  findRun,
  findRuns,
  findStopRequests,
  insertRun,
  listRunsOf,
  listUnfinishedRuns,
  patchRun,
  rehome,
} from './run-docs.ts';
import {
  deleteSessionsStillIdle,
  findIdleSessions,
  insertSession,
  listSessionDocs,
  mergeSessionState,
  patchSession,
} from './session-docs.ts';
import { settleAll } from './settle-all.ts';

export interface MongoStoreOptions {
  /** mongodb://… connection string. */
  url: string;
  /** Database name (default: the one in the URL, else `agentrpc`). */
  dbName?: string;
  /** Prefix for collection names, to share a database (default none). */
  collectionPrefix?: string;
  clientOptions?: MongoClientOptions;
}

export class MongoStore implements Store {
  readonly #options: MongoStoreOptions;
  #clients: MongoClients | undefined;
  #ready: Promise<StoreDbs> | undefined;
  readonly #feed = new LiveFeed();
  readonly #known = new KnownRuns(() => this.#c());

  constructor(options: MongoStoreOptions) {
    this.#options = options;
  }

  /** Connects and creates the indexes; called by the first operation. */
  async connect(): Promise<Db> {
    return (await this.#open()).db;
  }

  #open(): Promise<StoreDbs> {
    this.#ready ??= guarded('connect', async () => {
      const clients = new MongoClients(this.#options);
      this.#clients = clients;
      const dbs = await clients.open(
        this.#options.dbName ?? (new URL(this.#options.url).pathname.slice(1) || 'agentrpc'),
      );
      await migrate(dbs.db, this.#options.collectionPrefix ?? '');
      await createIndexes(collections(dbs.db, this.#options.collectionPrefix ?? ''));
      return dbs;
    }).catch((error) => {
      this.#ready = undefined; // let a later call try again
      throw error;
    });
    return this.#ready;
  }

  async #c(): Promise<Collections> {
    return collections((await this.#open()).db, this.#options.collectionPrefix ?? '');
  }

  /**
   * The collections through the event pool (mongo-clients.ts): for the event
   * log's live path only, its appends and what followers read.
   */
  async #eventC(): Promise<Collections> {
    return collections((await this.#open()).eventDb, this.#options.collectionPrefix ?? '');
  }

  createSession(input: Session): Promise<Session> {
    return guarded('create a session', async () => {
      const session = structuredClone(input);
      await insertSession(await this.#c(), session);
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
    return guarded('list sessions', async () => listSessionDocs(await this.#c(), query));
  }

  updateSession(key: SessionKey, patch: SessionPatch): Promise<Session> {
    return guarded('update a session', async () => {
      const changes = structuredClone(patch);
      return patchSession(await this.#c(), key, changes);
    });
  }

  updateSessionState(key: SessionKey, patch: Record<string, unknown>): Promise<Session> {
    return guarded('update session state', async () => {
      const changes = structuredClone(patch);
      return mergeSessionState(await this.#c(), key, changes);
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

  appendRun(input: RunRecord): Promise<void> {
    return guarded('append a run', async () => {
      const run = structuredClone(input);
      const c = await this.#c();
      await insertRun(c, run);
      this.#known.add(docId(run.userId, run.runId));
      if (run.status === 'completed') await rememberRun(c, run);
    });
  }

  updateRun(key: RunKey, patch: RunPatch): Promise<RunRecord> {
    return guarded('update a run', async () => {
      const changes = structuredClone(patch);
      const c = await this.#c();
      const patched = await patchRun(c, key, changes);
      const record = strip(patched.after) as RunRecord;
      // The run's move and its session's history window are other documents:
      // written side by side, a run's end waits three round trips, not five.
      const remembers = patched.wasCompleted || record.status === 'completed';
      await settleAll([rehome(c, patched), remembers ? rememberRun(c, record) : undefined]);
      return record;
    });
  }

  /** A follower's read goes through the event pool, with the rest of its reading. */
  getRun(key: RunKey, options?: GetRunOptions): Promise<RunRecord | null> {
    return guarded('read a run', async () => {
      const c = options?.following ? await this.#eventC() : await this.#c();
      return strip(await findRun(c, key));
    });
  }

  getRuns(keys: RunKey[]): Promise<(RunRecord | null)[]> {
    return guarded('read runs', async () => {
      if (keys.length === 0) return [];
      return (await findRuns(await this.#c(), keys)).map((doc) => strip(doc));
    });
  }

  getStopRequests(keys: RunKey[]): Promise<boolean[]> {
    return guarded('read stop requests', async () => findStopRequests(await this.#c(), keys));
  }

  listRuns(query: RunQuery): Promise<RunRecord[]> {
    return guarded('list runs', async () => {
      const c = await this.#c();
      const recent = await recentCompletedRuns(c, query);
      if (recent) return recent;
      return (await listRunsOf(c, query)).map((d) => strip(d) as RunRecord);
    });
  }

  appendEvents(key: RunKey, events: RunEvent[]): Promise<void> {
    return this.appendEventBatches([{ key, events }]);
  }

  appendEventBatches(batches: EventBatch[]): Promise<void> {
    return guarded('append events', async () => {
      const c = await this.#eventC();
      await checkRunsOwned(c, batches, this.#known);
      // The events and their page are written side by side; followers learn
      // of the page only once both are stored (live-feed.ts).
      await this.#feed.publish(c, batches, insertEvents(c, batches));
    });
  }

  async readEvents(query: EventQuery): Promise<RunEvent[]> {
    return (await this.readEventBatches([query]))[0] as RunEvent[];
  }

  /** From the live feed where it can answer, else from the events collection. */
  readEventBatches(queries: EventQuery[]): Promise<RunEvent[][]> {
    return guarded('read events', async () => {
      if (queries.length === 0) return [];
      const c = await this.#eventC();
      const fromFeed = await this.#feed.read(c, queries);
      const rest = queries.filter((_, i) => !fromFeed[i]);
      const stored = await findEventBatches(c, rest);
      let next = 0;
      return fromFeed.map((events) => events ?? (stored[next++] as RunEvent[]));
    });
  }

  createMemory(input: Memory): Promise<Memory> {
    return guarded('create a memory', async () => {
      const memory = structuredClone(input);
      await insertMemory(await this.#c(), memory);
      return memory;
    });
  }

  listMemories(query: MemoryQuery): Promise<Memory[]> {
    return guarded('list memories', async () => findMemories(await this.#c(), query));
  }

  updateMemory(key: { userId: string; memoryId: string }, patch: MemoryPatch): Promise<Memory> {
    return guarded('update a memory', async () => {
      const changes = structuredClone(patch);
      return patchMemory(await this.#c(), key, changes);
    });
  }

  deleteMemory(key: { userId: string; memoryId: string }): Promise<boolean> {
    return guarded('delete a memory', async () => deleteMemoryDoc(await this.#c(), key));
  }

  acquireLease(lease: Lease): Promise<boolean> {
    return guarded('acquire a lease', async () => takeLease(await this.#c(), lease));
  }

  renewLease(lease: Lease): Promise<boolean> {
    return guarded('renew a lease', async () => extendLease(await this.#c(), lease));
  }

  releaseLease(lease: Omit<Lease, 'ttlMs'>): Promise<void> {
    return guarded('release a lease', async () => dropLease(await this.#c(), lease));
  }

  getCachedResponse(key: CacheKey): Promise<CachedResponse | null> {
    return guarded('read the response cache', async () => findCachedResponse(await this.#c(), key));
  }

  putCachedResponse(key: CacheKey, response: CachedResponse, ttlMs: number): Promise<void> {
    return guarded('write the response cache', async () => {
      const copy = structuredClone(response);
      await replaceCachedResponse(await this.#c(), { key, response: copy, ttlMs });
    });
  }

  listUnfinishedRuns(limit?: number): Promise<RunRecord[]> {
    return guarded('list unfinished runs', async () =>
      (await listUnfinishedRuns(await this.#c(), limit)).map((d) => strip(d) as RunRecord),
    );
  }

  deleteIdleSessions(before: number): Promise<number> {
    return guarded('delete idle sessions', async () => {
      const c = await this.#c();
      const idle = await findIdleSessions(c, before);
      if (!idle.length) return 0;
      // Runs and events first: a crash part-way leaves sessions to retry, not orphans.
      await this.#deleteRunsOf(c, idle);
      return deleteSessionsStillIdle(c, { idle, before });
    });
  }

  /** The sessions' runs, their events and ids, and what this store remembers of them. */
  async #deleteRunsOf(c: Collections, sessions: SessionKey[]): Promise<void> {
    const deleted = await deleteRunsOf(c, sessions);
    this.#known.forget(deleted);
    await this.#feed.forget(c, deleted);
  }

  describe(): string {
    // Host and database only: the URL may carry a password.
    const url = new URL(this.#options.url);
    return `MongoDB at ${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  }

  async close(): Promise<void> {
    // Pages this store could not remove (the server is down) are swept by other writers in a minute.
    if (this.#clients) await this.#feed.retire(await this.#eventC()).catch(() => undefined);
    const clients = this.#clients;
    this.#clients = undefined;
    this.#ready = Promise.reject(new AgentRpcError('STORE_ERROR', 'the MongoStore is closed'));
    this.#ready.catch(() => {});
    await clients?.close();
  }
}
