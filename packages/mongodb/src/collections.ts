// The MongoStore's collections, their document shapes, and the one way it
// reads a user's document. Runs live in two collections by status (see
// run-docs.ts), so every collection a run updates stays small.
import type { CachedResponse, Memory, RunEvent, RunRecord, Session } from '@agentrpc/core';
import type { Collection, Db, Filter } from 'mongodb';
import { docId } from './doc-ids.ts';

export type Doc<T> = T & { _id: string };

export type SessionDoc = Doc<Session> & {
  _v: number;
  /** Ids of the session's latest completed runs, oldest first (recent-runs.ts). */
  _recentRuns?: string[];
  /** Copies of the newest of those runs, oldest first, within a size budget. */
  _recentRecords?: RunRecord[];
};

/**
 * A run's events of one append as a JSON array (event-docs.ts); `seq` is the
 * last one's. Stores written by earlier versions hold one document per event,
 * with `event` instead.
 */
export type EventDoc = {
  _id: string;
  runId: string;
  seq: number;
  userId: string;
  events?: string;
  event?: RunEvent;
};

/** A page of the live feed (feed-pages.ts): one append's events as one JSON string. */
export type FeedPageDoc = { _id: string; at: number; events: string };

/** A feed writer's newest page and the oldest it still keeps. */
export type FeedWriterDoc = { _id: string; page: number; oldest: number; at: number };

/** How far a store reading the feed has read, by writer: writers keep pages until all have read them. */
export type FeedReaderDoc = { _id: string; at: number; read: Record<string, number> };

/** One per run ever appended (until its session is deleted): run ids stay unique across both run collections. */
export type RunIdDoc = { _id: string; userId: string; sessionId: string };

export function collections(db: Db, prefix: string) {
  return {
    sessions: db.collection<SessionDoc>(`${prefix}sessions`),
    /** Runs that have ended: completed, cancelled or error. Written once, when the run ends. */
    runs: db.collection<Doc<RunRecord>>(`${prefix}runs`),
    /** Runs pending, running or paused: the ones that are still updated. */
    activeRuns: db.collection<Doc<RunRecord>>(`${prefix}active_runs`),
    runIds: db.collection<RunIdDoc>(`${prefix}run_ids`),
    events: db.collection<EventDoc>(`${prefix}events`),
    /** The last second or so of appends, for other instances that follow those runs (live-feed.ts). */
    feedPages: db.collection<FeedPageDoc>(`${prefix}event_feed`),
    feedWriters: db.collection<FeedWriterDoc>(`${prefix}event_feed_writers`),
    feedReaders: db.collection<FeedReaderDoc>(`${prefix}event_feed_readers`),
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

export type Collections = ReturnType<typeof collections>;

/**
 * Find options that bring all of at most `count` results in the first reply.
 * FerretDB holds one of its 100 SQLite connections for every cursor until it
 * is read to the end; with each driver connection busy with a request that
 * waits for one of those, the getMore that would end a cursor cannot be sent,
 * and everything stops. Hundreds of runs on two instances got there.
 */
export function wholeBatch(count: number): { batchSize: number } {
  return { batchSize: count + 1 };
}

/** The public record of a document: without _id and the store's own fields. */
export function strip<T>(doc: Doc<T> | null | undefined): T | null {
  if (!doc) return null;
  const { _id, _v, _recentRuns, _recentRecords, ...rest } = doc as Doc<T> & Partial<SessionDoc>;
  return rest as T;
}

/**
 * Reads a user's document by _id alone, which carries the user: _id is the one
 * lookup every MongoDB-wire server serves from an index (FerretDB's SQLite
 * backend scans the collection for any other filter). The owner is checked
 * again in code.
 */
export async function findOwned<T extends { userId: string }>(
  collection: Collection<Doc<T>>,
  id: string,
  userId: string,
): Promise<Doc<T> | null> {
  const filter = { _id: docId(userId, id) } as Filter<Doc<T>>;
  const doc = (await collection.findOne(filter)) as Doc<T> | null;
  return doc && doc.userId === userId ? doc : null;
}

/** The indexes every query of the store's is served by; created at connect, once per collection. */
export async function createIndexes(c: Collections): Promise<void> {
  await c.sessions.createIndex({ userId: 1, updatedAt: -1, _id: -1 });
  await c.sessions.createIndex({ userId: 1, createdAt: -1, _id: -1 });
  await c.sessions.createIndex({ updatedAt: 1 });
  for (const runs of [c.runs, c.activeRuns]) {
    await runs.createIndex({ userId: 1, sessionId: 1, createdAt: 1 });
    await runs.createIndex({ status: 1, createdAt: 1 });
  }
  await c.runIds.createIndex({ userId: 1, sessionId: 1 });
  await c.events.createIndex({ userId: 1, runId: 1, seq: 1 }, { unique: true });
  await c.memories.createIndex({ userId: 1, updatedAt: -1 });
}
