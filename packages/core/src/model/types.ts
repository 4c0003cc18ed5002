// The Model contract the run loop talks to: a Chat Completions chunk stream.
// Every supported provider speaks this dialect, so the run loop decodes it once.
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Message } from '../message/types.ts';

export type { ChatCompletionChunk };

/** What a provider accepts beyond plain Chat Completions. */
export interface ProviderQuirks {
  /** Shown in errors, e.g. "deepseek". */
  name: string;
  /** Accepts `video_url` content parts. */
  video: boolean;
  /** Accepts `response_format: json_schema`; else json_object + validation. */
  jsonSchema: boolean;
  /** Sends usage in the last chunk when asked with `stream_options`. */
  streamUsage: boolean;
  /** Use `max_completion_tokens` instead of `max_tokens`. */
  maxCompletionTokens: boolean;
  /** Accepts `content: null` on an assistant message beside its tool calls (llama.cpp wants ""). */
  nullContentWithToolCalls: boolean;
  /** Constrains `json_object` output to a JSON schema sent beside it (llama.cpp's grammar). */
  jsonObjectSchema?: boolean;
  /** Accepts `response_format: json_object` (LM Studio takes only json_schema or text). Default true. */
  jsonObject?: boolean;
  /** Knows the `developer` role; else developer messages go out as `system`. Default true. */
  developerRole?: boolean;
  /** Takes user content as a list of parts; else text parts are joined into one string. Default true. */
  contentParts?: boolean;
  /** Accepts `input_audio` content parts. Default true. */
  audio?: boolean;
  /** Fetches images by URL; else only data URLs are sent (a URL image is refused before sending). Default true. */
  imageURLs?: boolean;
  /** Accepts `parallel_tool_calls`; else the setting is not sent. Default true. */
  parallelToolCalls?: boolean;
}

export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'json_schema'; name: string; schema: Record<string, unknown> }
  /** `schema` goes out only to providers that constrain json_object with it (quirk jsonObjectSchema). */
  | { type: 'json_object'; schema?: Record<string, unknown> };

export interface ModelRequest {
  messages: Message[];
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  signal?: AbortSignal;
}

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
}

export interface Model {
  readonly id: string;
  readonly quirks: ProviderQuirks;
  /** Price used for `costUsd`; undefined when unknown. */
  readonly price: ModelPrice | undefined;
  /** Idle time after which a silent stream counts as timed out. */
  readonly timeoutMs: number;
  /** True when the same request gives the same answer (temperature 0), so it may be cached. */
  readonly deterministic?: boolean;
  /**
   * What looks wrong in this model's setup (say, no API key for a remote
   * provider), for a warning when a server starts; empty when all looks right.
   */
  configurationProblems?(): string[];
  /** Opens a streamed completion. Rejects with an AgentRpcError. */
  streamChunks(request: ModelRequest): Promise<AsyncIterable<ChatCompletionChunk>>;
}
