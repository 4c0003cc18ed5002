// User memories in SQLite: a row per memory, the memory in `data`, its user,
// agent and time beside it for the list, newest first.
import type { SQLInputValue } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import type { Memory } from '../session/types.ts';
import { clampLimit } from './cursor.ts';
import { boundInteger, boundText, dataOf, type Sql } from './sqlite-connection.ts';
import type { MemoryPatch, MemoryQuery } from './types.ts';

/** A user's memory by its id. */
export interface MemoryKey {
  userId: string;
  memoryId: string;
}

/** Throws CONFLICT when a memory of that id exists. */
export function insertMemory(sql: Sql, memory: Memory): Memory {
  const inserted = sql(
    'INSERT INTO memories (memory_id, user_id, agent_id, updated_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  ).run(
    memory.memoryId,
    memory.userId,
    memory.agentId ?? null,
    memory.updatedAt,
    JSON.stringify(memory),
  );
  if (!inserted.changes) throw new AgentRpcError('CONFLICT', `memory ${memory.memoryId} exists`);
  return memory;
}

export function listMemoryRows(sql: Sql, query: MemoryQuery): Memory[] {
  const agent = query.agentId ? `AND agent_id = ${boundText}` : '';
  const params: SQLInputValue[] = [query.userId, ...(query.agentId ? [query.agentId] : [])];
  return sql(
    `SELECT data FROM memories WHERE user_id = ${boundText} ${agent}
     ORDER BY updated_at DESC, memory_id DESC LIMIT ${boundInteger}`,
  )
    .all(...params, clampLimit(query.limit, 100, 1000))
    .map((row) => dataOf<Memory>(row));
}

/** NOT_FOUND when the user has no such memory. */
export function patchMemory(sql: Sql, key: MemoryKey, patch: MemoryPatch): Memory {
  const row = sql('SELECT data FROM memories WHERE memory_id = ? AND user_id = ?').get(
    key.memoryId,
    key.userId,
  );
  if (!row) throw new AgentRpcError('NOT_FOUND', `memory ${key.memoryId} not found`);
  const memory = Object.assign(dataOf<Memory>(row), patch, { updatedAt: Date.now() });
  sql('UPDATE memories SET updated_at = ?, data = ? WHERE memory_id = ?').run(
    memory.updatedAt,
    JSON.stringify(memory),
    memory.memoryId,
  );
  return memory;
}

/** False when the user had no such memory. */
export function deleteMemoryRow(sql: Sql, key: MemoryKey): boolean {
  const deleted = sql('DELETE FROM memories WHERE memory_id = ? AND user_id = ?').run(
    key.memoryId,
    key.userId,
  );
  return deleted.changes > 0;
}
