// The mutable state of one executing run, shared by the model step, the tool
// step and the code that starts, continues and finishes runs.
import type { z } from 'zod';
import type { Message } from '../message/types.ts';
import type { Model, ResponseFormat, ToolChoice, ToolSpec } from '../model/types.ts';
import type { SessionUsage } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import type { AnyTool, ToolContext } from '../tool/define-tool.ts';
import type { RunEvent } from './events.ts';
import type { Span } from './tracing.ts';
import type { RunRecord } from './types.ts';

export interface ActiveRun {
  /** The OpenTelemetry span of this stretch of the run. */
  span: Span | undefined;
  /** Where deterministic answers are cached, when the agent asks for it. */
  cache: { store: Store; ttlMs: number } | undefined;
  model: Model;
  /** Models still to try, in order, if the current one fails before answering. */
  fallbackModels: Model[];
  tools: Map<string, AnyTool>;
  toolSpecs: ToolSpec[];
  toolChoice: ToolChoice | undefined;
  responseFormat: ResponseFormat | undefined;
  outputSchema: z.ZodType | undefined;
  toolCallLimit: number;
  /** Tool calls executed so far (across pauses). */
  toolCallCount: number;
  /** System message and history: sent before the run's own messages, never stored with it. */
  prompt: Message[];
  /** The run as it will be stored; `messages` grows as the run goes. */
  output: RunRecord;
  toolContext: ToolContext;
  /** Aborts the model call and tools: cancel, time-out, or a consumer that went away. */
  controller: AbortController;
  /** Set when the idle watchdog fired, so the abort is reported as a time-out. */
  timedOut: boolean;
  /** Bumped per received chunk; the watchdog compares it. */
  ticks: number;
  /** performance.now() when this stretch of the run started. */
  startedAt: number;
  /** Hands an event to whoever reads the run. */
  emit: (event: RunEvent) => void;
  /** Folds a delta into the reader's last unread delta event, if there is one. */
  mergeDelta: (type: 'run.content' | 'run.reasoning', delta: string) => boolean;
  /** The run's usage already added to its session (by an earlier stretch before a pause). */
  counted: SessionUsage;
  /** Work after the answer and before the terminal event (summaries, memories). */
  finishers: ((run: ActiveRun) => Promise<void>)[];
}

type EventFields<E> = E extends RunEvent ? Omit<E, 'runId' | 'seq' | 'createdAt'> : never;

/** Stamps the next event of the run with runId, seq and createdAt. */
export function nextEvent(run: ActiveRun, fields: EventFields<RunEvent>): RunEvent {
  run.output.lastSeq += 1;
  return {
    ...fields,
    runId: run.output.runId,
    seq: run.output.lastSeq,
    createdAt: Date.now(),
  } as RunEvent;
}
