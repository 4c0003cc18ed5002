// A run's event log in MongoDB: one document per run per append, holding that
// append's events in order. Its `seq` is the last seq it holds, so "the events
// after n" are the documents with `seq` > n, the same query as for the one
// event per document of earlier versions, which are read alongside. Its _id is
// made of the user, the run and its first seq, so a retried append finds its
// document stored (see insertEvents for one that brings more events).
// A document per event had every write cost a document per event: on a server
// that stores each document as a row (FerretDB), that was most of its work
// under load. A document per append grows with the wait instead: the slower
// the server, the more events each write carries.
import { AgentRpcError, type EventBatch, type EventQuery, type RunEvent } from '@agentrpc/core';
import { clampLimit, storedEventText, withRunId } from '@agentrpc/core/internal';
import { type Collections, type EventDoc, wholeBatch } from './collections.ts';
import { docId, eventDocId } from './doc-ids.ts';
import { eventsJson } from './events-json.ts';
import { fewAtATime } from './few-at-a-time.ts';
import type { KnownRuns } from './known-runs.ts';
import { duplicateIndexes } from './mongo-errors.ts';

/** A document's text of events stays under this many characters (a document holds 16 MiB). */
const docChars = 4 * 1024 * 1024;

/** NOT_FOUND when a batch's run is not its user's (or was deleted). */
export async function checkRunsOwned(
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
}

/** Appends several runs' events (their runs checked first, see checkRunsOwned). */
export async function insertEvents(c: Collections, batches: EventBatch[]): Promise<void> {
  const docs = batches.flatMap((batch) => eventDocs(batch));
  const stored = await insertNew(c, docs);
  // A document whose _id was taken holds this append's first events, stored
  // by an earlier try of it that failed late: store what it brings after them.
  for (const [i, doc] of docs.entries()) {
    if (stored[i]) continue;
    const last = await lastStoredSeq(c, doc);
    const after = docEvents(doc).filter((event) => event.seq > last);
    if (after.length === 0) continue;
    const retried = eventDocs({ key: doc, events: after });
    const again = await insertNew(c, retried);
    if (again.some((ok) => !ok)) {
      throw new AgentRpcError('CONFLICT', `run ${doc.runId} has events written meanwhile`);
    }
  }
}

/**
 * The batch as documents, its events as one JSON text: on a server that turns
 * every field of a document into a column value of its own (FerretDB), a
 * text is one value however many events it holds, and costs it a fraction of
 * the same events as nested documents. Split so that no text outgrows the
 * document size.
 */
export function eventDocs({ key, events }: EventBatch): EventDoc[] {
  const doc = (list: RunEvent[], text: string): EventDoc => ({
    _id: eventDocId(key.userId, key.runId, (list[0] as RunEvent).seq),
    runId: key.runId,
    userId: key.userId,
    seq: (list.at(-1) as RunEvent).seq,
    events: text,
  });
  if (events.length === 0) return [];
  const all = eventsJson(events);
  if (all.length <= docChars) return [doc(events, all)];
  const docs: EventDoc[] = [];
  let held: RunEvent[] = [];
  let texts: string[] = [];
  let chars = 0;
  for (const event of events) {
    const text = storedEventText(event);
    if (chars + text.length > docChars && held.length > 0) {
      docs.push(doc(held, `[${texts.join(',')}]`));
      held = [];
      texts = [];
      chars = 0;
    }
    held.push(event);
    texts.push(text);
    chars += text.length + 1;
  }
  docs.push(doc(held, `[${texts.join(',')}]`));
  return docs;
}

/** A document's events, of either form. */
function docEvents(doc: EventDoc): RunEvent[] {
  if (typeof doc.events === 'string') {
    return (JSON.parse(doc.events) as RunEvent[]).map((event) => withRunId(event, doc.runId));
  }
  return doc.event ? [doc.event] : [];
}

/** Inserts the documents; for each, whether it was stored (false: its _id or last seq was taken). */
async function insertNew(c: Collections, docs: EventDoc[]): Promise<boolean[]> {
  if (docs.length === 0) return [];
  try {
    await c.events.insertMany(docs, { ordered: false });
    return docs.map(() => true);
  } catch (error) {
    // Anything other than documents already there is a failure.
    const taken = duplicateIndexes(error);
    if (!taken) throw error;
    return docs.map((_, i) => !taken.has(i));
  }
}

async function lastStoredSeq(c: Collections, run: { userId: string; runId: string }) {
  const [doc] = await c.events
    .find({ runId: run.runId, userId: run.userId }, wholeBatch(1))
    .sort({ seq: -1 })
    .limit(1)
    .toArray();
  return doc?.seq ?? 0;
}

/** How many events one read of a run returns at most: its limit, else 1,000, never over 10,000. */
export function eventReadLimit(query: EventQuery): number {
  return clampLimit(query.limit, 1000, 10_000);
}

export async function findEvents(c: Collections, query: EventQuery): Promise<RunEvent[]> {
  const limit = eventReadLimit(query);
  const events: RunEvent[] = [];
  let last = query.afterSeq ?? 0;
  let docsRead = 0;
  // A document holds one event or more: read a few, then as many as the
  // events per document so far say are still needed.
  let want = Math.min(limit, 32);
  for (;;) {
    const docs = await c.events
      .find({ runId: query.runId, userId: query.userId, seq: { $gt: last } }, wholeBatch(want))
      .sort({ seq: 1 })
      .limit(want)
      .toArray();
    for (const doc of docs) {
      for (const event of docEvents(doc)) {
        if (event.seq <= last) continue; // written twice, by a retry that overlapped
        events.push(event);
        last = event.seq;
        if (events.length === limit) return events;
      }
    }
    docsRead += docs.length;
    if (docs.length < want) return events;
    const needed = limit - events.length;
    want = Math.min(needed, Math.ceil(needed / (events.length / docsRead)) + 1);
  }
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
