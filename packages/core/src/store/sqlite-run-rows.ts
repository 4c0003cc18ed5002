// Runs in SQLite: a row per run, its record in `data`, its status and time
// beside it for the lists. The event log refers to a run by its row number,
// through the run's segments (sqlite-event-segments.ts), so deleting runs
// deletes their events and segments first.
import type { SQLInputValue } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import type { RunRecord } from '../run/types.ts';
import { clampLimit } from './cursor.ts';
import { boundInteger, boundText, dataOf, type Sql } from './sqlite-connection.ts';
import type { RunKey, RunPatch, RunQuery, SessionKey } from './types.ts';

/** A run's row: the columns lists filter and sort on, and the record's JSON. */
export interface RunRow
  extends Pick<RunRecord, 'runId' | 'sessionId' | 'userId' | 'status' | 'createdAt'> {
  cancelRequestedAt: number | null;
  data: string;
}

export function runRowOf(run: RunRecord): RunRow {
  const { runId, sessionId, userId, status, createdAt } = run;
  const cancelRequestedAt = run.cancelRequestedAt ?? null;
  return {
    runId,
    sessionId,
    userId,
    status,
    createdAt,
    cancelRequestedAt,
    data: JSON.stringify(run),
  };
}

/** Throws CONFLICT when the user has a run of that id. */
export function insertRun(sql: Sql, row: RunRow): void {
  const { runId, sessionId, userId, status, createdAt, cancelRequestedAt, data } = row;
  const inserted = sql(
    'INSERT INTO runs (run_id, session_id, user_id, status, created_at, cancel_requested_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  ).run(runId, sessionId, userId, status, createdAt, cancelRequestedAt, data);
  if (!inserted.changes) throw new AgentRpcError('CONFLICT', `run ${runId} exists`);
}

export function readRun(sql: Sql, key: RunKey): RunRecord | null {
  const row = sql('SELECT data FROM runs WHERE run_id = ? AND user_id = ?').get(
    key.runId,
    key.userId,
  );
  return row ? dataOf<RunRecord>(row) : null;
}

/** For each run, whether its record asks for a cancel or is gone: one column read, no record parsed. */
export function readStopRequests(sql: Sql, keys: RunKey[]): boolean[] {
  const asked = sql('SELECT cancel_requested_at FROM runs WHERE run_id = ? AND user_id = ?');
  return keys.map((key) => {
    const row = asked.get(key.runId, key.userId) as
      | { cancel_requested_at: number | null }
      | undefined;
    return !row || row.cancel_requested_at !== null;
  });
}

/** NOT_FOUND when the user has no such run. */
export function patchRun(sql: Sql, key: RunKey, patch: RunPatch): RunRecord {
  const stored = readRun(sql, key);
  if (!stored) throw new AgentRpcError('NOT_FOUND', `run ${key.runId} not found`);
  const run = Object.assign(stored, patch, { updatedAt: Date.now() });
  sql(
    'UPDATE runs SET status = ?, cancel_requested_at = ?, data = ? WHERE user_id = ? AND run_id = ?',
  ).run(run.status, run.cancelRequestedAt ?? null, JSON.stringify(run), run.userId, run.runId);
  return run;
}

export function listRunRows(sql: Sql, query: RunQuery): RunRecord[] {
  const dir = query.order === 'asc' ? 'ASC' : 'DESC';
  const status = query.status ? `AND status = ${boundText}` : '';
  const params: SQLInputValue[] = [
    query.userId,
    query.sessionId,
    ...(query.status ? [query.status] : []),
  ];
  return sql(
    `SELECT data FROM runs WHERE user_id = ${boundText} AND session_id = ${boundText} ${status}
     ORDER BY created_at ${dir}, run_id ${dir} LIMIT ${boundInteger}`,
  )
    .all(...params, clampLimit(query.limit, 100, 10_000))
    .map((row) => dataOf<RunRecord>(row));
}

/** Runs of every user still running or pending, oldest first: what a restart looks at. */
export function listUnfinishedRunRows(sql: Sql, limit: number | undefined): RunRecord[] {
  return sql(
    `SELECT data FROM runs WHERE status IN ('running', 'pending') ORDER BY created_at LIMIT ${boundInteger}`,
  )
    .all(clampLimit(limit, 100, 10_000))
    .map((row) => dataOf<RunRecord>(row));
}

/** Deletes a session's runs and their events. */
export function deleteRunsOf(sql: Sql, key: SessionKey): void {
  const runsOfSession = 'SELECT num FROM runs WHERE user_id = ? AND session_id = ?';
  sql(
    `DELETE FROM events WHERE seg IN (SELECT seg FROM event_segments WHERE run_num IN (${runsOfSession}))`,
  ).run(key.userId, key.sessionId);
  sql(`DELETE FROM event_segments WHERE run_num IN (${runsOfSession})`).run(
    key.userId,
    key.sessionId,
  );
  sql('DELETE FROM runs WHERE user_id = ? AND session_id = ?').run(key.userId, key.sessionId);
}
