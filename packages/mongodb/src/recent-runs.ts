// A session's history window kept on the session document: the ids of its
// latest completed runs and copies of the newest of them. An agent reads the
// last few completed runs before every run; served from the session document
// that is one read by _id, whatever the number of runs the session has had.
import type { RunQuery, RunRecord } from '@agentrpc/core';
import { clampLimit } from '@agentrpc/core/internal';
import { BSON } from 'mongodb';
import { type Collections, findOwned, type SessionDoc, strip } from './collections.ts';
import { docId } from './doc-ids.ts';
import { findRuns } from './run-docs.ts';

/** Ids of recently completed runs a session document keeps. */
const idsKept = 50;
/** Copies of runs it keeps: an agent's history window is a few runs (3 by default). */
const copiesKept = 10;
/** Copies beyond this many bytes are left out (the oldest first) and read by id instead. */
const copyBytes = 256 * 1024;

function withinBudget(copies: RunRecord[]): RunRecord[] {
  let bytes = 0;
  let first = copies.length;
  while (first > 0) {
    bytes += BSON.calculateObjectSize(copies[first - 1] as RunRecord);
    if (bytes > copyBytes) break;
    first -= 1;
  }
  return copies.slice(first);
}

/**
 * Brings the session document up to date with a run that has just been
 * written: added when completed (or its copy refreshed), dropped when not.
 * Only the run holding the session's lease completes runs, so no update races.
 */
export async function rememberRun(c: Collections, run: RunRecord): Promise<void> {
  const _id = docId(run.userId, run.sessionId);
  const session = await c.sessions.findOne({ _id });
  if (!session) return;
  const completed = run.status === 'completed';
  let ids = session._recentRuns ?? [];
  let copies = session._recentRecords ?? [];
  if (!completed) {
    if (!ids.includes(run.runId)) return;
    ids = ids.filter((id) => id !== run.runId);
    copies = copies.filter((copy) => copy.runId !== run.runId);
  } else {
    if (ids.includes(run.runId)) {
      copies = copies.map((kept) => (kept.runId === run.runId ? run : kept));
    } else {
      ids = [...ids, run.runId].slice(-idsKept);
      copies = [...copies.filter((kept) => ids.includes(kept.runId)), run];
    }
    copies = withinBudget(copies.slice(-copiesKept));
  }
  await c.sessions.updateOne({ _id }, { $set: { _recentRuns: ids, _recentRecords: copies } });
}

/** The fields a new session document starts with: no runs yet, so an empty window. */
export const emptyWindow: Pick<SessionDoc, '_recentRuns' | '_recentRecords'> = {
  _recentRuns: [],
  _recentRecords: [],
};

/**
 * The session's latest completed runs, newest first, when the session
 * document can answer the query; undefined when it cannot (another status or
 * order, more runs than it keeps, a session from before it kept them).
 */
export async function recentCompletedRuns(
  c: Collections,
  query: RunQuery,
): Promise<RunRecord[] | undefined> {
  const limit = clampLimit(query.limit, 100, 10_000);
  if (query.status !== 'completed' || query.order === 'asc' || limit > idsKept) return undefined;
  const session = await findOwned(c.sessions, query.sessionId, query.userId);
  if (!session) return [];
  if (!session._recentRuns) return undefined;
  const ids = session._recentRuns.slice(-limit).reverse();
  const byId = new Map((session._recentRecords ?? []).map((copy) => [copy.runId, copy]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length) {
    const found = await findRuns(
      c,
      missing.map((runId) => ({ userId: query.userId, runId })),
    );
    for (const doc of found) if (doc) byId.set(doc.runId, strip(doc) as RunRecord);
  }
  return ids.flatMap((id) => {
    const run = byId.get(id);
    return run?.status === 'completed' ? [run] : [];
  });
}
