import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { Memory } from '../session/types.ts';
import { contentEvent, runFixture, sessionFixture } from '../testing/store-fixtures.ts';
import { readCachedResponse, writeCachedResponse } from './sqlite-cache-rows.ts';
import { readEventRows, toEventRows } from './sqlite-event-rows.ts';
import { insertEventRows } from './sqlite-event-segments.ts';
import { dropLease, extendLease, takeLease } from './sqlite-lease-rows.ts';
import {
  deleteMemoryRow,
  insertMemory,
  listMemoryRows,
  patchMemory,
} from './sqlite-memory-rows.ts';
import { migrate } from './sqlite-migrations.ts';
import {
  insertRun,
  listRunRows,
  listUnfinishedRunRows,
  patchRun,
  readRun,
  readStopRequests,
  runRowOf,
} from './sqlite-run-rows.ts';
import {
  deleteIdleSessionRows,
  deleteSessionRow,
  insertSession,
  listSessionRows,
  mergeSessionState,
  patchSession,
  readSession,
} from './sqlite-session-rows.ts';

/** Each of the store's statements once, for a user and ids of the given name. */
function everyStatement(db: DatabaseSync, sql: (text: string) => StatementSync, name: string) {
  const userId = `user-${name}`;
  const session = sessionFixture(userId, { sessionId: `s-${name}`, name: `chat ${name}` });
  const run = runFixture(session, { runId: `r-${name}`, status: 'running' });
  const key = { userId, runId: run.runId };
  const memory: Memory = {
    memoryId: `m-${name}`,
    userId,
    memory: 'likes tea',
    topics: [],
    createdAt: 1,
    updatedAt: 1,
  };
  const lease = { key: `session:${name}`, owner: run.runId, ttlMs: 1000 };
  const steps: Record<string, () => unknown> = {
    insertSession: () => insertSession(sql, session),
    readSession: () => readSession(sql, session),
    listSessionRows: () => listSessionRows(sql, { userId, limit: 1 }),
    listSessionRowsByAgentAndName: () =>
      listSessionRows(sql, { userId, agentId: session.agentId, name, order: 'asc' }),
    listSessionRowsAfterCursor: () => {
      const { nextCursor } = listSessionRows(sql, { userId, limit: 1 });
      if (nextCursor) listSessionRows(sql, { userId, cursor: nextCursor });
    },
    patchSession: () => patchSession(sql, session, { name: 'renamed' }),
    mergeSessionState: () => mergeSessionState(sql, session, { step: 2 }),
    insertRun: () => insertRun(sql, runRowOf(run)),
    readRun: () => readRun(sql, key),
    readStopRequests: () => readStopRequests(sql, [key]),
    patchRun: () => patchRun(sql, key, { status: 'running' }),
    listRunRows: () => listRunRows(sql, { userId, sessionId: session.sessionId }),
    listRunRowsByStatus: () =>
      listRunRows(sql, { userId, sessionId: session.sessionId, status: 'running', order: 'asc' }),
    listUnfinishedRunRows: () => listUnfinishedRunRows(sql, 10),
    insertEventRows: () => {
      const events = [contentEvent(run.runId, 1), contentEvent(run.runId, 2)];
      insertEventRows(db, toEventRows([{ key, events }]));
      insertEventRows(db, toEventRows([{ key, events: [contentEvent(run.runId, 3)] }]));
    },
    readEventRows: () => readEventRows(sql, key),
    readEventRowsAfter: () => readEventRows(sql, { ...key, afterSeq: 1, limit: 5 }),
    insertMemory: () => insertMemory(sql, memory),
    listMemoryRows: () => listMemoryRows(sql, { userId, limit: 5 }),
    listMemoryRowsOfAgent: () => listMemoryRows(sql, { userId, agentId: 'agent' }),
    patchMemory: () => patchMemory(sql, memory, { memory: 'likes green tea' }),
    deleteMemoryRow: () => deleteMemoryRow(sql, memory),
    writeCachedResponse: () =>
      writeCachedResponse(sql, { key: { userId, key: name }, data: '{}', ttlMs: 1000 }),
    readCachedResponse: () => readCachedResponse(sql, { userId, key: name }),
    takeLease: () => takeLease(sql, lease),
    extendLease: () => extendLease(sql, lease),
    dropLease: () => dropLease(sql, lease),
    deleteSessionRow: () => deleteSessionRow(sql, session),
    deleteIdleSessionRows: () => deleteIdleSessionRows(sql, 0),
  };
  return steps;
}

describe('SqliteStore statements', () => {
  // SQLite compiles a statement again at every run, as if its schema had
  // changed, when its plan could depend on a bound value: one that compares a
  // column with a bare parameter and orders by the index (or takes its max),
  // or takes `LIMIT ?`. Compiling costs more than running such a statement.
  it('are compiled once, not again at each run with other values', () => {
    const db = new DatabaseSync(':memory:');
    migrate(db);
    const statements = new Map<string, StatementSync>();
    const sql = (text: string) => {
      const statement = statements.get(text) ?? db.prepare(text);
      statements.set(text, statement);
      return statement;
    };
    let compiled = 0;
    // The authorizer is asked while a statement is compiled, and only then.
    db.setAuthorizer(() => {
      compiled++;
      return 0;
    });
    for (const step of Object.values(everyStatement(db, sql, 'first'))) step();
    const compiledAgain: string[] = [];
    for (const [name, step] of Object.entries(everyStatement(db, sql, 'second'))) {
      compiled = 0;
      step();
      if (compiled > 0) compiledAgain.push(name);
    }
    expect(compiledAgain).toEqual([]);
    db.close();
  });
});
