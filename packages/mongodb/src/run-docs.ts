// A run's documents. Pending, running and paused runs live in active_runs;
// a run moves to runs when it ends, and is not updated there; run_ids holds
// every run's id, so ids stay unique across the two. Whatever a run does
// while it runs (updates, reads by id) touches only the runs in flight, never
// every run there ever was: FerretDB 1.x scans a collection for every read and
// update (only inserts use an index), so with one runs collection a session's
// 1,000th run paid for the 999 before it. On MongoDB, where reads by _id are
// index lookups anyway, the split costs an insert and a delete more per run.
import {
  AgentRpcError,
  type RunKey,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type RunStatus,
} from '@agentrpc/core';
import { clampLimit } from '@agentrpc/core/internal';
import type { Collection, Filter } from 'mongodb';
import { type Collections, type Doc, findOwned, wholeBatch } from './collections.ts';
import { docId } from './doc-ids.ts';
import { fewAtATime } from './few-at-a-time.ts';
import { isDuplicateKey } from './mongo-errors.ts';

type RunDoc = Doc<RunRecord>;

const endedStatuses: ReadonlySet<RunStatus> = new Set(['completed', 'cancelled', 'error']);

/** True for a status a run never leaves (a paused run may be continued). */
export function hasEnded(status: RunStatus): boolean {
  return endedStatuses.has(status);
}

function homeOf(c: Collections, status: RunStatus): Collection<RunDoc> {
  return hasEnded(status) ? c.runs : c.activeRuns;
}

/** Throws CONFLICT when the user has a run with this id, in either collection. */
export async function insertRun(c: Collections, run: RunRecord): Promise<void> {
  const _id = docId(run.userId, run.runId);
  let taken = false;
  try {
    await c.runIds.insertOne({ _id, userId: run.userId, sessionId: run.sessionId });
    taken = true;
    await homeOf(c, run.status).insertOne({ ...structuredClone(run), _id });
  } catch (error) {
    if (isDuplicateKey(error)) throw new AgentRpcError('CONFLICT', `run ${run.runId} exists`);
    if (!taken) throw error;
    // Give the id back, so that retrying this append is not refused as a conflict.
    await c.runIds.deleteOne({ _id }).catch((cleanup: unknown) => {
      throw new AggregateError([error, cleanup], 'and could not give the run id back');
    });
    throw error;
  }
}

/**
 * Up to this many runs are read by _id, one find each; more, the runs in
 * flight with one `$in`. A server that cannot use an index for `$in`
 * (FerretDB 1.x) reads the whole collection for it: some 45 ms at 500 runs in
 * flight, against half a millisecond for a find by _id.
 */
const byIdUpTo = 64;

/**
 * A user's runs by document id, from either collection (absent ones are left
 * out): the runs in flight by _id or with one `$in` (see byIdUpTo), ended runs
 * by _id. `runs` holds every ended run there is, so it is never read with `$in`.
 */
async function runsById(c: Collections, ids: string[]): Promise<Map<string, RunDoc>> {
  const found = new Map<string, RunDoc>();
  const active =
    ids.length <= byIdUpTo
      ? await fewAtATime(ids, (_id) => c.activeRuns.findOne({ _id }))
      : await c.activeRuns.find({ _id: { $in: ids } }, wholeBatch(ids.length)).toArray();
  for (const doc of active) if (doc) found.set(doc._id, doc);
  const ended = ids.filter((id) => !found.has(id));
  for (const doc of await fewAtATime(ended, (_id) => c.runs.findOne({ _id }))) {
    if (doc) found.set(doc._id, doc);
  }
  return found;
}

export async function findRun(c: Collections, key: RunKey): Promise<RunDoc | null> {
  const active = await findOwned(c.activeRuns, key.runId, key.userId);
  if (active) return active;
  // An id no run has is answered from run_ids (small documents) rather than
  // runs, which holds every ended run there is: starting a run with an id of
  // the caller's asks this first, and on FerretDB a read costs a scan.
  if (!(await c.runIds.findOne({ _id: docId(key.userId, key.runId) }))) return null;
  return findOwned(c.runs, key.runId, key.userId);
}

export async function findRuns(c: Collections, keys: RunKey[]): Promise<(RunDoc | null)[]> {
  const ids = keys.map((key) => docId(key.userId, key.runId));
  const found = await runsById(c, ids);
  return keys.map((key, i) => {
    const doc = found.get(ids[i] as string);
    return doc && doc.userId === key.userId ? doc : null;
  });
}

/**
 * Moves a run whose status says it belongs elsewhere. Copy first, then delete:
 * a move cut short leaves the run in both, which the readers allow for.
 */
async function move(doc: RunDoc, from: Collection<RunDoc>, to: Collection<RunDoc>) {
  try {
    await to.insertOne(doc);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    await to.replaceOne({ _id: doc._id }, doc); // left there by a move cut short
  }
  await from.deleteOne({ _id: doc._id });
}

/**
 * For each run, whether its record asks for a cancel or is gone. The runs in
 * flight in one `$in` with only the fields needed: what a server asks every
 * second for all its runs, where a find each (FerretDB scanning active_runs
 * for every one) took some 550 ms for 250 runs on FerretDB 1.24, and one
 * `$in` some 170 ms. A run not in flight (ended elsewhere, or gone) is looked
 * for in runs by id.
 */
export async function findStopRequests(c: Collections, keys: RunKey[]): Promise<boolean[]> {
  if (keys.length === 0) return [];
  const ids = keys.map((key) => docId(key.userId, key.runId));
  const projection = { userId: 1, cancelRequestedAt: 1 };
  type Flags = Pick<RunDoc, '_id' | 'userId' | 'cancelRequestedAt'>;
  const found = new Map<string, Flags>();
  const active = await c.activeRuns
    .find<Flags>({ _id: { $in: ids } }, { projection, ...wholeBatch(ids.length) })
    .toArray();
  for (const doc of active) found.set(doc._id, doc);
  const rest = ids.filter((id) => !found.has(id));
  const ended = await fewAtATime(rest, (_id) => c.runs.findOne<Flags>({ _id }, { projection }));
  for (const doc of ended) if (doc) found.set(doc._id, doc);
  return keys.map((key, i) => {
    const doc = found.get(ids[i] as string);
    return !doc || doc.userId !== key.userId || doc.cancelRequestedAt !== undefined;
  });
}

/** A patched run: its record after, the collection it was patched in, and whether it was completed before. */
export interface PatchedRun {
  after: RunDoc;
  from: Collection<RunDoc>;
  wasCompleted: boolean;
}

/**
 * Patches a run where it is; `rehome` then moves it if its status says it
 * belongs elsewhere. Throws NOT_FOUND when the user has no such run.
 */
export async function patchRun(c: Collections, key: RunKey, patch: RunPatch): Promise<PatchedRun> {
  const update = { $set: { ...structuredClone(patch), updatedAt: Date.now() } };
  const filter = { _id: docId(key.userId, key.runId), userId: key.userId };
  // Active first: that is where runs are updated, in one step (a run there is
  // not completed); an ended run is updated only by hand.
  const active = await c.activeRuns.findOneAndUpdate(filter, update, { returnDocument: 'after' });
  if (active) return { after: active, from: c.activeRuns, wasCompleted: false };
  const before = await findOwned(c.runs, key.runId, key.userId);
  const after =
    before && (await c.runs.findOneAndUpdate(filter, update, { returnDocument: 'after' }));
  if (!before || !after) throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
  return { after, from: c.runs, wasCompleted: before.status === 'completed' };
}

/** Moves a patched run to the collection its status belongs in, if it is not there. */
export async function rehome(c: Collections, { after, from }: PatchedRun): Promise<void> {
  const home = homeOf(c, after.status);
  if (home.collectionName !== from.collectionName) await move(after, from, home);
}

/** A session's runs as listRuns answers them, from both collections. */
export async function listRunsOf(c: Collections, query: RunQuery): Promise<RunDoc[]> {
  const dir = query.order === 'asc' ? 1 : -1;
  const limit = clampLimit(query.limit, 100, 10_000);
  const filter: Filter<RunDoc> = { userId: query.userId, sessionId: query.sessionId };
  if (query.status) filter.status = query.status;
  const sources = query.status ? [homeOf(c, query.status)] : [c.activeRuns, c.runs];
  const lists = await Promise.all(
    sources.map((collection) =>
      collection
        .find(filter, wholeBatch(limit))
        .sort({ createdAt: dir, _id: dir })
        .limit(limit)
        .toArray(),
    ),
  );
  // A run found in both (a move cut short) counts once, as last written.
  const byId = new Map<string, RunDoc>();
  for (const doc of lists.flat()) {
    const seen = byId.get(doc._id);
    if (!seen || doc.updatedAt > seen.updatedAt) byId.set(doc._id, doc);
  }
  return [...byId.values()]
    .sort((a, b) => dir * (a.createdAt - b.createdAt || a._id.localeCompare(b._id)))
    .slice(0, limit);
}

/** Runs still pending or running, oldest first, across users. */
export function listUnfinishedRuns(c: Collections, limit?: number): Promise<RunDoc[]> {
  const count = clampLimit(limit, 100, 10_000);
  return c.activeRuns
    .find({ status: { $in: ['running', 'pending'] } }, wholeBatch(count))
    .sort({ createdAt: 1, _id: 1 })
    .limit(count)
    .toArray();
}

/**
 * Deletes the sessions' runs with their events and ids (the ids last, so a
 * crash part-way frees no id of a stored run); the keys of the runs deleted.
 */
export async function deleteRunsOf(
  c: Collections,
  sessions: { userId: string; sessionId: string }[],
): Promise<RunKey[]> {
  const deleted: RunKey[] = [];
  for (const { userId, sessionId } of sessions) {
    const filter = { userId, sessionId };
    const runIds: string[] = [];
    for (const collection of [c.activeRuns, c.runs]) {
      const docs = collection.find(filter, { projection: { runId: 1 }, ...wholeBatch(100_000) });
      for await (const doc of docs) runIds.push(doc.runId);
    }
    if (runIds.length) await c.events.deleteMany({ userId, runId: { $in: runIds } });
    await c.activeRuns.deleteMany(filter);
    await c.runs.deleteMany(filter);
    await c.runIds.deleteMany(filter);
    for (const runId of runIds) deleted.push({ userId, runId });
  }
  return deleted;
}
