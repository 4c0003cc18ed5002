// What an Agent is made of, and what each run is called with.
import type { z } from 'zod';
import type { MemoryOptions } from '../memory/user-memories.ts';
import type {
  AudioInput,
  ContentPart,
  FileInput,
  ImageInput,
  Message,
  VideoInput,
} from '../message/types.ts';
import type { Model, ToolChoice, ToolSpec } from '../model/types.ts';
import type { ToolDecision } from '../run/tool-step.ts';
import type { SummaryOptions } from '../session/summarize.ts';
import type { Store } from '../store/types.ts';
import type { AnyTool } from '../tool/define-tool.ts';

export interface InstructionContext {
  userId: string;
  sessionId: string;
  agentId: string;
  state: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface AgentOptions<Output = unknown> {
  id: string;
  name?: string;
  description?: string;
  model: Model;
  /**
   * Cache answers of a deterministic model (temperature 0) in the store for
   * ttlMs: the same user sending exactly the same request is answered from it.
   */
  cache?: { ttlMs: number };
  /** Tried in order when the model fails before answering (errors, rate limits, time-outs). */
  fallbackModels?: Model[];
  instructions?: string | ((ctx: InstructionContext) => string | Promise<string>);
  tools?: AnyTool[];
  toolChoice?: ToolChoice;
  /** The answer must be JSON matching this schema; it is validated into `parsed`. */
  outputSchema?: z.ZodType<Output>;
  /** Default: a MemoryStore of this agent's own. */
  store?: Store;
  /** Completed runs of the session replayed as history (default 3). */
  numHistoryRuns?: number;
  /** Tool calls one run may make (default 10). */
  toolCallLimit?: number;
  /** Keep a running summary of each session, used in place of older history. */
  summaries?: boolean | SummaryOptions;
  /** Remember facts about each user across sessions (extracted after runs and/or by a tool). */
  memory?: boolean | MemoryOptions;
  /** How long a run's hold on its session lasts without renewal (default 30,000 ms). */
  sessionLeaseMs?: number;
}

export type RunInput = string | Message | Message[] | ContentPart[];

export interface RunOptions {
  /** Default 'anonymous'. Every session belongs to one user. */
  userId?: string;
  /** Omitted: a new session. Unknown to this user: a new session with this id (ids are per user). */
  sessionId?: string;
  /** Name for a new session (default: the start of the input). */
  sessionName?: string;
  images?: ImageInput[];
  audio?: AudioInput[];
  videos?: VideoInput[];
  files?: FileInput[];
  /** Deep-merged into the session's state before the run. */
  sessionState?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Wait for the session's active run to end instead of failing with CONFLICT. */
  waitForSession?: boolean | { timeoutMs: number };
  /** Use this run id (must be unique); default a random UUID. */
  runId?: string;
  /**
   * Tools the caller runs itself (an OpenAI client's `tools`): the model sees
   * them beside the agent's; a call to one pauses the run, and continueRun's
   * toolResults give it its result.
   */
  clientTools?: ToolSpec[];
  /** A JSON schema the answer must match (as `parsed`), for an agent without an outputSchema. */
  outputJsonSchema?: { name: string; schema: Record<string, unknown> };
  /**
   * The process running it, e.g. a server instance id, unique among live
   * processes. The run's session lease is held in its name (`runId@holder`),
   * so the same process, restarted, can tell its own unfinished runs apart.
   */
  holder?: string;
  /** Recorded on the run as RunRecord.servedBy. */
  servedBy?: string;
}

export interface ContinueInput {
  /** Per pending tool call id: approve or reject. */
  approvals?: Record<string, boolean | { approved: boolean; reason?: string }>;
  /** Per pending tool call id: a result computed outside the run. */
  toolResults?: Record<string, unknown>;
}

export interface ContinueOptions {
  userId?: string;
  signal?: AbortSignal;
  waitForSession?: boolean | { timeoutMs: number };
  /** As RunOptions.holder. */
  holder?: string;
  /** As RunOptions.servedBy. */
  servedBy?: string;
}

export type { ToolDecision };
