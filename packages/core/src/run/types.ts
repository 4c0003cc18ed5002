// What a run is: its status, metrics, tool calls and final output.
import type { AudioOutput, Message } from '../message/types.ts';
import type { ToolSpec } from '../model/types.ts';

export type RunStatus = 'pending' | 'running' | 'paused' | 'completed' | 'cancelled' | 'error';

export const terminalStatuses: readonly RunStatus[] = ['completed', 'cancelled', 'error', 'paused'];

export interface RunMetrics {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Present when the model's price is known. */
  costUsd?: number;
  timeToFirstTokenMs?: number;
  durationMs: number;
  /** Model calls made by the run (one per tool round). */
  modelCalls: number;
  /** Model answers served from the response cache instead. */
  cacheHits?: number;
  /**
   * True when the provider sent no token counts for some model call and they
   * were estimated (four characters per token); cost is computed from them too.
   */
  usageEstimated?: boolean;
  /** How many of totalTokens were estimated, when usageEstimated. */
  estimatedTokens?: number;
}

export interface ToolCallRecord {
  id: string;
  name: string;
  /** Parsed arguments, or the raw text when they were not valid JSON. */
  args: unknown;
  result?: unknown;
  error?: string;
  durationMs?: number;
  status: 'pending' | 'completed' | 'failed' | 'rejected';
  requiresConfirmation?: boolean;
}

export interface RunError {
  code: string;
  message: string;
}

export interface RunOutput<Parsed = unknown> {
  runId: string;
  sessionId: string;
  userId: string;
  agentId: string;
  status: RunStatus;
  content: string;
  /** The validated structured output, when the agent has an outputSchema. */
  parsed?: Parsed;
  reasoningContent?: string;
  toolCalls: ToolCallRecord[];
  /** The run's own messages: its input, the model's answers and tool results. */
  messages: Message[];
  /** Tool calls waiting for approval or a result while the run is paused. */
  pendingToolCalls?: ToolCallRecord[];
  audio?: AudioOutput;
  images?: { url: string }[];
  citations?: { url: string; title?: string }[];
  model: string;
  error?: RunError;
  metrics: RunMetrics;
  metadata?: Record<string, unknown>;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

/** What the caller asked of this run beyond the agent's own setup, kept for its continuation. */
export interface RunOverrides {
  /** Tools the caller runs: a call to one pauses the run until its result is given. */
  clientTools?: ToolSpec[];
  /** A JSON schema the answer must match, for an agent without an outputSchema. */
  outputSchema?: { name: string; schema: Record<string, unknown> };
}

/** A run as stored: its output plus the last event sequence number written. */
export interface RunRecord extends RunOutput {
  lastSeq: number;
  overrides?: RunOverrides;
  /**
   * When a cancel for this run reached a server instance other than the one
   * running it (epoch milliseconds); the running instance checks for it.
   */
  cancelRequestedAt?: number;
  /**
   * Where another process can follow the run live from the process running
   * it (a server instance's peer address), when that process says so.
   */
  servedBy?: string;
}

export function emptyMetrics(): RunMetrics {
  return {
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    durationMs: 0,
    modelCalls: 0,
  };
}
