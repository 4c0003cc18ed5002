// A new run's start: its session (found by id, or made for it), its record and
// its opening event. Nothing is read to check the run id: the store refuses a
// used one when the record is saved, and a session made for the run is then
// taken back.
import { randomUUID } from 'node:crypto';
import { AgentRpcError } from '../errors.ts';
import type { Message } from '../message/types.ts';
import type { RunEvent } from '../run/events.ts';
import { emptyMetrics, type RunRecord } from '../run/types.ts';
import { deepMerge } from '../session/deep-merge.ts';
import type { Session } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import { overridesOf } from './build-active-run.ts';
import { inputMessages, nameFrom } from './input-messages.ts';
import type { AgentOptions, RunInput, RunOptions } from './options.ts';
import type { RunStart } from './run-start.ts';

/** Whose runs have no user given. */
export const defaultUser = 'anonymous';

export interface NewRunRequest {
  agent: AgentOptions;
  store: Store;
  input: RunInput;
  options: RunOptions;
}

export async function prepareNewRun(request: NewRunRequest): Promise<RunStart> {
  const { agent, store, input, options } = request;
  const userId = options.userId ?? defaultUser;
  const messages = inputMessages(input, options);
  const runId = options.runId ?? randomUUID();
  // Checked before the session is made, so input it refuses leaves none behind.
  const overrides = overridesOf(agent, options);
  const { session, created, creating } = await openSession({ agent, store, options }, messages);
  if (options.sessionState) session.state = deepMerge(session.state, options.sessionState);
  const now = Date.now();
  const record: RunRecord = {
    runId,
    sessionId: session.sessionId,
    userId,
    agentId: agent.id,
    status: 'running',
    content: '',
    toolCalls: [],
    messages,
    model: agent.model.id,
    metrics: emptyMetrics(),
    ...(options.metadata ? { metadata: options.metadata } : {}),
    ...(options.servedBy ? { servedBy: options.servedBy } : {}),
    ...overrides,
    lastSeq: 1,
    createdAt: now,
    updatedAt: now,
  };
  const opening: RunEvent = {
    type: 'run.started',
    runId,
    seq: 1,
    createdAt: now,
    sessionId: session.sessionId,
    userId,
    agentId: agent.id,
    model: agent.model.id,
  };
  const undo = async () => {
    await store.deleteSession({ userId, sessionId: session.sessionId });
  };
  return {
    session,
    record,
    opening,
    isNew: true,
    save: () => store.appendRun(record),
    ...(created ? { undo } : {}),
    ...(creating ? { creating } : {}),
  };
}

/**
 * The run's session, found or made for it (`created`). One made under an id
 * made here is still being written (`creating`) when this returns.
 */
async function openSession(
  request: Omit<NewRunRequest, 'input'>,
  messages: Message[],
): Promise<{ session: Session; created: boolean; creating?: Promise<unknown> }> {
  const { agent, store, options } = request;
  const userId = options.userId ?? defaultUser;
  if (options.sessionId) {
    const found = await store.getSession({ userId, sessionId: options.sessionId });
    if (found) {
      if (found.agentId !== agent.id) {
        throw new AgentRpcError(
          'CONFLICT',
          `session ${options.sessionId} belongs to agent ${found.agentId}`,
        );
      }
      return { session: found, created: false };
    }
  }
  // Ids are per user: another user's session of the same id is not this one's business.
  const now = Date.now();
  const fresh: Session = {
    sessionId: options.sessionId ?? randomUUID(),
    userId,
    agentId: agent.id,
    name: options.sessionName ?? nameFrom(messages),
    state: {},
    metadata: {},
    runCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  // Stores take what they are given when called, so `fresh` is the run's own.
  if (!options.sessionId)
    return { session: fresh, created: true, creating: store.createSession(fresh) };
  return { session: await store.createSession(fresh), created: true };
}
