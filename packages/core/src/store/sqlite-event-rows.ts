// The event log's rows in SQLite, written the same way on the caller's thread
// and on the worker (sqlite-event-worker.ts): every run must be its user's,
// else nothing is written; appends are idempotent by (run, seq).
import type { DatabaseSync } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import type { EventBatch } from './types.ts';

/** One run's events, serialised: what goes to the worker. */
export interface EventRows {
  userId: string;
  runId: string;
  events: [seq: number, data: string][];
}

export function toEventRows(batches: EventBatch[]): EventRows[] {
  return batches.map(({ key, events }) => ({
    userId: key.userId,
    runId: key.runId,
    events: events.map((event) => [event.seq, JSON.stringify(event)]),
  }));
}

/** Inserts the rows; throws NOT_FOUND before writing when a run is not its user's. Call it in a transaction. */
export function insertEventRows(db: DatabaseSync, batches: EventRows[]): void {
  const owned = db.prepare('SELECT 1 FROM runs WHERE run_id = ? AND user_id = ?');
  for (const { userId, runId } of batches) {
    if (!owned.get(runId, userId)) throw new AgentRpcError('NOT_FOUND', `run ${runId} not found`);
  }
  const insert = db.prepare(
    'INSERT INTO events (run_id, seq, user_id, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  for (const { userId, runId, events } of batches) {
    for (const [seq, data] of events) insert.run(runId, seq, userId, data);
  }
}
