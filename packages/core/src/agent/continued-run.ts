// A paused run's start again, with the approvals or tool results it waited
// for: the run must be this agent's and paused, and only one continue of it
// may go through. The session lease lets one through at a time across
// processes, the runs being continued on each store within this one (not per
// Agent: agents are often built per request), and the one that comes second
// finds the run taken.
import { AgentRpcError } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import type { Store } from '../store/types.ts';
import { decisionsFor } from './decisions.ts';
import { defaultUser } from './new-run.ts';
import type { AgentOptions, ContinueInput, ContinueOptions } from './options.ts';
import type { RunStart } from './run-start.ts';

export interface ContinueRequest {
  agent: AgentOptions;
  store: Store;
  runId: string;
  input: ContinueInput;
  options: ContinueOptions;
}

/** Per store, the runs being continued in this process, between their check and their save. */
const continuingOn = new WeakMap<Store, Set<string>>();

function continuingRuns(store: Store): Set<string> {
  let runs = continuingOn.get(store);
  if (!runs) {
    runs = new Set();
    continuingOn.set(store, runs);
  }
  return runs;
}

export async function prepareContinue(request: ContinueRequest): Promise<RunStart> {
  const { agent, store, runId, input, options } = request;
  const userId = options.userId ?? defaultUser;
  const continuing = continuingRuns(store);
  // Run ids are per user: another user's run of the same id is another run.
  const key = `${userId.length}:${userId}${runId}`;
  const record = await store.getRun({ userId, runId });
  if (!record || record.agentId !== agent.id) {
    throw new AgentRpcError('NOT_FOUND', `run ${runId} not found`);
  }
  if (record.status !== 'paused') {
    throw new AgentRpcError('CONFLICT', `run ${runId} is ${record.status}, not paused`);
  }
  const decisions = decisionsFor(record, input);
  const session = await store.getSession({ userId, sessionId: record.sessionId });
  if (!session) throw new AgentRpcError('NOT_FOUND', `session ${record.sessionId} not found`);
  const calls = record.messages.at(-1)?.toolCalls ?? [];
  record.status = 'running';
  record.lastSeq += 1;
  if (options.servedBy) record.servedBy = options.servedBy;
  /** This continue holds the run's place in `continuing`. */
  let claimed = false;
  const unclaim = () => {
    if (claimed) continuing.delete(key);
    claimed = false;
  };
  const opening: RunEvent = {
    type: 'run.continued',
    runId,
    seq: record.lastSeq,
    createdAt: Date.now(),
  };
  return {
    session,
    record,
    opening,
    isNew: false,
    resume: { calls, decisions },
    save: async () => {
      try {
        await store.updateRun(
          { userId, runId },
          {
            status: 'running',
            lastSeq: record.lastSeq,
            ...(options.servedBy ? { servedBy: options.servedBy } : {}),
          },
        );
      } finally {
        unclaim();
      }
    },
    // Two continues may both have seen `paused`: see the header.
    confirm: async () => {
      if (continuing.has(key)) {
        throw new AgentRpcError('CONFLICT', `run ${runId} is being continued`);
      }
      continuing.add(key);
      claimed = true;
      const now = await store.getRun({ userId, runId });
      if (now?.status !== 'paused' || now.lastSeq !== record.lastSeq - 1) {
        unclaim();
        throw new AgentRpcError('CONFLICT', `run ${runId} was already continued`);
      }
    },
    abandon: unclaim,
  };
}
