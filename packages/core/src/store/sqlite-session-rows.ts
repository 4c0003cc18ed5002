// Sessions in SQLite: a row per session, its whole document in `data` and the
// columns that lists filter and sort on beside it. Deleting a session deletes
// its runs and their events (sqlite-run-rows.ts).
import type { SQLInputValue } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import { deepMerge } from '../session/deep-merge.ts';
import { addUsage, type Session } from '../session/types.ts';
import { clampLimit, decodeCursor, pageOfSessions } from './cursor.ts';
import { boundInteger, boundText, dataOf, type Sql } from './sqlite-connection.ts';
import { deleteRunsOf } from './sqlite-run-rows.ts';
import type { Page, SessionKey, SessionPatch, SessionQuery } from './types.ts';

export function readSession(sql: Sql, key: SessionKey): Session | undefined {
  const row = sql('SELECT data FROM sessions WHERE session_id = ? AND user_id = ?').get(
    key.sessionId,
    key.userId,
  );
  return row ? dataOf<Session>(row) : undefined;
}

/** Throws CONFLICT when the user has a session of that id. */
export function insertSession(sql: Sql, session: Session): Session {
  const inserted = sql(
    'INSERT INTO sessions (session_id, user_id, agent_id, name, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  ).run(
    session.sessionId,
    session.userId,
    session.agentId,
    session.name,
    session.createdAt,
    session.updatedAt,
    JSON.stringify(session),
  );
  if (!inserted.changes) throw new AgentRpcError('CONFLICT', `session ${session.sessionId} exists`);
  return session;
}

export function listSessionRows(sql: Sql, query: SessionQuery): Page<Session> {
  const column = query.sortBy === 'createdAt' ? 'created_at' : 'updated_at';
  const field = query.sortBy ?? 'updatedAt';
  const asc = query.order === 'asc';
  const limit = clampLimit(query.limit);
  const where = [`user_id = ${boundText}`];
  const params: SQLInputValue[] = [query.userId];
  if (query.agentId) {
    where.push(`agent_id = ${boundText}`);
    params.push(query.agentId);
  }
  if (query.name) {
    where.push(`name LIKE ${boundText} ESCAPE '\\'`);
    params.push(`%${query.name.replace(/[\\%_]/g, '\\$&')}%`);
  }
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    const op = asc ? '>' : '<';
    where.push(`(${column} ${op} ? OR (${column} = ? AND session_id ${op} ?))`);
    params.push(after.value, after.value, after.id);
  }
  const dir = asc ? 'ASC' : 'DESC';
  const rows = sql(
    `SELECT data FROM sessions WHERE ${where.join(' AND ')} ORDER BY ${column} ${dir}, session_id ${dir} LIMIT ${boundInteger}`,
  ).all(...params, limit + 1);
  return pageOfSessions(
    rows.map((row) => dataOf<Session>(row)),
    limit,
    (session) => session[field],
  );
}

/** Applies `change` to the stored session and writes it back; NOT_FOUND when there is none. */
function changeSession(sql: Sql, key: SessionKey, change: (session: Session) => void): Session {
  const session = readSession(sql, key);
  if (!session) throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
  change(session);
  session.updatedAt = Math.max(Date.now(), session.updatedAt);
  sql(
    'UPDATE sessions SET name = ?, updated_at = ?, data = ? WHERE user_id = ? AND session_id = ?',
  ).run(
    session.name,
    session.updatedAt,
    JSON.stringify(session),
    session.userId,
    session.sessionId,
  );
  return session;
}

export function patchSession(sql: Sql, key: SessionKey, patch: SessionPatch): Session {
  const { addRuns, addUsage: usage, ...fields } = patch;
  return changeSession(sql, key, (session) => {
    Object.assign(session, fields);
    if (addRuns) session.runCount += addRuns;
    if (usage) session.usage = addUsage(session.usage, usage);
  });
}

export function mergeSessionState(
  sql: Sql,
  key: SessionKey,
  patch: Record<string, unknown>,
): Session {
  return changeSession(sql, key, (session) => {
    session.state = deepMerge(session.state, patch);
  });
}

/** Deletes the session with its runs; false when there was none. */
export function deleteSessionRow(sql: Sql, key: SessionKey): boolean {
  const deleted = sql('DELETE FROM sessions WHERE session_id = ? AND user_id = ?').run(
    key.sessionId,
    key.userId,
  );
  if (!deleted.changes) return false;
  deleteRunsOf(sql, key);
  return true;
}

/** Deletes the sessions untouched since `before` (epoch ms), with their runs; returns how many. */
export function deleteIdleSessionRows(sql: Sql, before: number): number {
  const idle = sql('SELECT user_id, session_id FROM sessions WHERE updated_at < ?').all(before) as {
    user_id: string;
    session_id: string;
  }[];
  for (const row of idle) deleteRunsOf(sql, { userId: row.user_id, sessionId: row.session_id });
  return Number(sql('DELETE FROM sessions WHERE updated_at < ?').run(before).changes);
}
