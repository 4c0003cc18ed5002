// RunEvent: everything a run reports while it goes, in order (seq 1, 2, 3 …).
// Exactly one terminal event (completed, cancelled, error or paused) ends a stream.
import type { ErrorCode } from '../errors.ts';
import type { RunOutput, ToolCallRecord } from './types.ts';

interface EventBase {
  runId: string;
  /** 1, 2, 3 … per run, without gaps, continuing across a pause. */
  seq: number;
  /** Epoch milliseconds. */
  createdAt: number;
}

export type RunEvent =
  | (EventBase & {
      type: 'run.started';
      sessionId: string;
      userId: string;
      agentId: string;
      model: string;
    })
  | (EventBase & { type: 'run.content'; delta: string })
  | (EventBase & { type: 'run.reasoning'; delta: string })
  | (EventBase & { type: 'tool.started'; toolCallId: string; name: string; args: unknown })
  | (EventBase & {
      type: 'tool.completed';
      toolCallId: string;
      name: string;
      result: unknown;
      durationMs: number;
    })
  | (EventBase & {
      type: 'tool.failed';
      toolCallId: string;
      name: string;
      error: string;
      durationMs: number;
    })
  | (EventBase & { type: 'run.paused'; pendingToolCalls: ToolCallRecord[]; output: RunOutput })
  | (EventBase & { type: 'run.continued' })
  | (EventBase & {
      type: 'model.fallback';
      from: string;
      to: string;
      code: string;
      message: string;
    })
  | (EventBase & { type: 'memory.updated'; memoryIds: string[] })
  | (EventBase & { type: 'session.summary.updated'; summary: string })
  | (EventBase & { type: 'run.completed'; output: RunOutput })
  | (EventBase & { type: 'run.cancelled'; output: RunOutput })
  | (EventBase & { type: 'run.error'; code: ErrorCode; message: string; output: RunOutput });

export type RunEventType = RunEvent['type'];

export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/**
 * The event types that end a stretch of a run: exactly one comes last. A run
 * that paused and was continued has a `run.paused` inside its log too, so a
 * reader of its whole log goes on past that one.
 */
export const terminalEventTypes = [
  'run.completed',
  'run.cancelled',
  'run.error',
  'run.paused',
] as const satisfies readonly RunEventType[];

export type TerminalEventType = (typeof terminalEventTypes)[number];

const terminalTypes: ReadonlySet<string> = new Set(terminalEventTypes);

export function isTerminalEvent(event: { type: string }): event is RunEventOf<TerminalEventType> {
  return terminalTypes.has(event.type);
}
