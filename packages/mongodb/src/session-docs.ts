// A user's session documents: created with an empty history window
// (recent-runs.ts), listed by a cursor over (sort field, _id), updated by _id,
// and their state merged with a compare-and-set on a version counter.
import {
  AgentRpcError,
  deepMerge,
  type Page,
  type Session,
  type SessionKey,
  type SessionPatch,
  type SessionQuery,
} from '@agentrpc/core';
import { clampLimit, decodeCursor, pageOfSessions } from '@agentrpc/core/internal';
import type { Filter } from 'mongodb';
import { type Collections, findOwned, type SessionDoc, strip, wholeBatch } from './collections.ts';
import { docId } from './doc-ids.ts';
import { escapeRegex } from './escape-regex.ts';
import { isDuplicateKey } from './mongo-errors.ts';
import { emptyWindow } from './recent-runs.ts';

/** How often a state merge retries when other writes keep changing the session. */
const mergeAttempts = 20;

const notFound = (key: SessionKey) =>
  new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);

/** Throws CONFLICT when the user has a session with this id. */
export async function insertSession(c: Collections, session: Session): Promise<void> {
  try {
    await c.sessions.insertOne({
      ...structuredClone(session),
      _id: docId(session.userId, session.sessionId),
      _v: 0,
      ...emptyWindow,
    });
  } catch (error) {
    if (isDuplicateKey(error))
      throw new AgentRpcError('CONFLICT', `session ${session.sessionId} exists`);
    throw error;
  }
}

export async function listSessionDocs(c: Collections, query: SessionQuery): Promise<Page<Session>> {
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
  const docs = await c.sessions
    .find(filter, wholeBatch(limit + 1))
    .sort({ [sortBy]: dir, _id: dir })
    .limit(limit + 1)
    .toArray();
  return pageOfSessions(
    docs.map((d) => strip(d) as Session),
    limit,
    (session) => session[sortBy],
  );
}

/** Sets the patch's fields and adds its counts; NOT_FOUND when the user has no such session. */
export async function patchSession(
  c: Collections,
  key: SessionKey,
  patch: SessionPatch,
): Promise<Session> {
  const { addRuns, addUsage, ...fields } = patch;
  const usage = Object.fromEntries(
    Object.entries(addUsage ?? {}).map(([name, value]) => [`usage.${name}`, value ?? 0]),
  );
  const doc = await c.sessions.findOneAndUpdate(
    { _id: docId(key.userId, key.sessionId), userId: key.userId },
    {
      $set: { ...structuredClone(fields), updatedAt: Date.now() },
      $inc: { runCount: addRuns ?? 0, _v: 1, ...usage },
    },
    { returnDocument: 'after' },
  );
  if (!doc) throw notFound(key);
  return strip(doc) as Session;
}

/** Deep-merges `patch` into the session's state; concurrent merges never lose a write. */
export async function mergeSessionState(
  c: Collections,
  key: SessionKey,
  patch: Record<string, unknown>,
): Promise<Session> {
  for (let attempt = 0; attempt < mergeAttempts; attempt++) {
    const current = await findOwned(c.sessions, key.sessionId, key.userId);
    if (!current) throw notFound(key);
    const state = deepMerge(current.state, patch);
    const doc = await c.sessions.findOneAndUpdate(
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
}

/** Sessions not updated since `before` (epoch ms), with their keys. */
export function findIdleSessions(
  c: Collections,
  before: number,
): Promise<Pick<SessionDoc, '_id' | 'userId' | 'sessionId'>[]> {
  return c.sessions
    .find(
      { updatedAt: { $lt: before } },
      { projection: { _id: 1, userId: 1, sessionId: 1 }, ...wholeBatch(100_000) },
    )
    .toArray();
}

/** Deletes those of `idle` not updated since they were found; how many. */
export async function deleteSessionsStillIdle(
  c: Collections,
  sweep: { idle: { _id: string }[]; before: number },
): Promise<number> {
  const { deletedCount } = await c.sessions.deleteMany({
    _id: { $in: sweep.idle.map((session) => session._id) },
    updatedAt: { $lt: sweep.before },
  });
  return deletedCount;
}
