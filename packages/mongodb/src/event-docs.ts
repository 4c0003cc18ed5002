// A run's event log in MongoDB: one document per event, its _id made of the
// user, the run and the seq, so a retried append finds its events stored and
// skips them.
import { AgentRpcError, type EventBatch, type EventQuery, type RunEvent } from '@agentrpc/core';
import { clampLimit } from '@agentrpc/core/internal';
import { type Collections, wholeBatch } from './collections.ts';
import { docId, eventDocId } from './doc-ids.ts';
import { isOnlyDuplicates } from './mongo-errors.ts';
import { existingRunIds } from './run-docs.ts';

/** Appends several runs' events; NOT_FOUND, with nothing written, when a run is not its user's. */
export async function insertEvents(c: Collections, batches: EventBatch[]): Promise<void> {
  const ids = [...new Set(batches.map(({ key }) => docId(key.userId, key.runId)))];
  const owned = await existingRunIds(c, ids);
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
    if (!isOnlyDuplicates(error)) throw error;
  }
}

/** How many events one read of a run returns at most: its limit, else 1,000, never over 10,000. */
export function eventReadLimit(query: EventQuery): number {
  return clampLimit(query.limit, 1000, 10_000);
}

export async function findEvents(c: Collections, query: EventQuery): Promise<RunEvent[]> {
  const limit = eventReadLimit(query);
  const docs = await c.events
    .find(
      { runId: query.runId, userId: query.userId, seq: { $gt: query.afterSeq ?? 0 } },
      wholeBatch(limit),
    )
    .sort({ seq: 1 })
    .limit(limit)
    .toArray();
  return docs.map((d) => d.event);
}

/**
 * Several runs' events in one find: a server polls all the runs it follows on
 * other instances at once. A run whose events fall past the overall limit gets
 * a shorter list (a prefix), and the rest on its next read.
 */
export async function findEventBatches(
  c: Collections,
  queries: EventQuery[],
): Promise<RunEvent[][]> {
  const limits = queries.map(eventReadLimit);
  const limit = Math.min(
    10_000,
    limits.reduce((sum, each) => sum + each, 0),
  );
  const docs = await c.events
    .find(
      {
        $or: queries.map((query) => ({
          runId: query.runId,
          userId: query.userId,
          seq: { $gt: query.afterSeq ?? 0 },
        })),
      },
      wholeBatch(limit),
    )
    .sort({ runId: 1, seq: 1 })
    .limit(limit)
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
}
