// Fixtures for Store tests: a session, a run of it and a content event, each
// with fresh ids unless given.
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../run/events.ts';
import { emptyMetrics, type RunRecord } from '../run/types.ts';
import type { Session } from '../session/types.ts';

/** An id with a readable label. */
export const uid = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

export function sessionFixture(userId: string, fields: Partial<Session> = {}): Session {
  const now = Date.now();
  return {
    sessionId: uid('s'),
    userId,
    agentId: 'agent',
    name: 'A session',
    state: {},
    metadata: {},
    runCount: 0,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

export function runFixture(session: Session, fields: Partial<RunRecord> = {}): RunRecord {
  const now = Date.now();
  return {
    runId: uid('r'),
    sessionId: session.sessionId,
    userId: session.userId,
    agentId: session.agentId,
    status: 'completed',
    content: 'answer',
    toolCalls: [],
    messages: [{ role: 'user', content: 'question' }],
    model: 'm',
    metrics: emptyMetrics(),
    lastSeq: 0,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

/** A content delta event of run `runId` at `seq`. */
export function contentEvent(runId: string, seq: number, delta = `d${seq}`): RunEvent {
  return { type: 'run.content', runId, seq, createdAt: Date.now(), delta };
}
