// A run's event log in MongoDB: one document per event, its _id made of the
// user, the run and the seq, so a retried append finds its events stored and
// skips them.
import { AgentRpcError, type EventBatch, type EventQuery, type RunEvent } from '@agentrpc/core';
import { clampLimit } from '@agentrpc/core/internal';
import { type Collections, wholeBatch } from './collections.ts';
import { docId, eventDocId } from './doc-ids.ts';
import { fewAtATime } from './few-at-a-time.ts';
import type { KnownRuns } from './known-runs.ts';
import { isOnlyDuplicates } from './mongo-errors.ts';

/** Appends several runs' events; NOT_FOUND, with nothing written, when a run is not its user's. */
export async function insertEvents(
  c: Collections,
  batches: EventBatch[],
  known: KnownRuns,
): Promise<void> {
  const ids = [...new Set(batches.map(({ key }) => docId(key.userId, key.runId)))];
  const owned = await known.existing(c, ids);
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
 * Several runs' events, a find per run. Not one find with `$or`: a server that
 * cannot use an index for `$or` (FerretDB 1.x) answers it by reading every
 * event there is into its own process and filtering there, seconds per read at
 * a few hundred thousand events; a find on one run's fields it hands to its
 * backend.
 */
export function findEventBatches(c: Collections, queries: EventQuery[]): Promise<RunEvent[][]> {
  return fewAtATime(queries, (query) => findEvents(c, query));
}
