// What a run looks like on screen, built from its events as they arrive or
// from its stored record: one shape for live and past runs alike.
import type { RunEvent, RunOutput } from '@agentrpc/sdk';

export type ToolCallRecord = RunOutput['toolCalls'][number];

/** A tool call as shown: `running` is a pending call that needs no one's decision. */
export type ToolCard = Omit<ToolCallRecord, 'status' | 'requiresConfirmation'> & {
  status: ToolCallRecord['status'] | 'running';
};

export interface RunState {
  runId: string;
  status: RunOutput['status'];
  content: string;
  reasoning: string;
  tools: ToolCard[];
  parsed?: unknown;
  error?: { code: string; message: string };
  pending: ToolCallRecord[];
  /** The last event applied; resuming asks for those after it. */
  lastSeq: number;
}

export function emptyRun(runId: string): RunState {
  return {
    runId,
    status: 'pending',
    content: '',
    reasoning: '',
    tools: [],
    pending: [],
    lastSeq: 0,
  };
}

const ended = new Set(['completed', 'cancelled', 'error']);

export function isSettled(state: Pick<RunState, 'status'>): boolean {
  return ended.has(state.status);
}

function cardOf(call: ToolCallRecord): ToolCard {
  return {
    id: call.id,
    name: call.name,
    args: call.args,
    ...(call.result !== undefined ? { result: call.result } : {}),
    ...(call.error !== undefined ? { error: call.error } : {}),
    ...(call.durationMs !== undefined ? { durationMs: call.durationMs } : {}),
    status: call.status === 'pending' && !call.requiresConfirmation ? 'running' : call.status,
  };
}

/** A run as its stored record tells it. */
export function stateOfRun(run: RunOutput): RunState {
  return {
    runId: run.runId,
    status: run.status,
    content: run.content,
    reasoning: run.reasoningContent ?? '',
    tools: run.toolCalls.map(cardOf),
    ...(run.parsed !== undefined ? { parsed: run.parsed } : {}),
    ...(run.error ? { error: run.error } : {}),
    pending: run.pendingToolCalls ?? [],
    lastSeq: 0,
  };
}

function withCard(state: RunState, id: string, change: (card: ToolCard) => ToolCard): ToolCard[] {
  return state.tools.map((card) => (card.id === id ? change(card) : card));
}

/** The state after one more event; events at or before lastSeq change nothing. */
export function applyEvent(state: RunState, event: RunEvent): RunState {
  if (event.seq <= state.lastSeq) return state;
  const next = { ...state, lastSeq: event.seq };
  switch (event.type) {
    case 'run.started':
    case 'run.continued':
      return { ...next, status: 'running', pending: [] };
    case 'run.content':
      return { ...next, content: next.content + event.delta };
    case 'run.reasoning':
      return { ...next, reasoning: next.reasoning + event.delta };
    case 'tool.started':
      return {
        ...next,
        tools: [
          ...next.tools.filter((card) => card.id !== event.toolCallId),
          { id: event.toolCallId, name: event.name, args: event.args, status: 'running' },
        ],
      };
    case 'tool.completed':
      return {
        ...next,
        tools: withCard(next, event.toolCallId, (card) => ({
          ...card,
          status: 'completed',
          result: event.result,
          durationMs: event.durationMs,
        })),
      };
    case 'tool.failed':
      return {
        ...next,
        tools: withCard(next, event.toolCallId, (card) => ({
          ...card,
          status: 'failed',
          error: event.error,
          durationMs: event.durationMs,
        })),
      };
    case 'run.paused':
      return { ...stateOfRun(event.output), lastSeq: event.seq, pending: event.pendingToolCalls };
    case 'run.completed':
    case 'run.cancelled':
    case 'run.error':
      return { ...stateOfRun(event.output), lastSeq: event.seq };
    default:
      return next;
  }
}
