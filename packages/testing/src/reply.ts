// The script language of the fake server: what one /chat/completions request answers.

/** A tool call the fake model makes. `arguments` is sent as given (object => JSON). */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

export interface FakeUsage {
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

export interface FakeAudio {
  /** base64 audio bytes */
  data: string;
  transcript?: string;
  id?: string;
}

/** A successful answer, streamed or not depending on the request's `stream`. */
export interface FakeCompletion {
  text?: string;
  /** Serialised as the text; handy for response_format replies. */
  json?: unknown;
  /** Sent as `reasoning_content` deltas before the text. */
  reasoning?: string;
  toolCalls?: FakeToolCall[];
  audio?: FakeAudio;
  usage?: FakeUsage;
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Characters of text, reasoning or tool arguments per streamed chunk (default 8). */
  chunkSize?: number;
  /** Wait this long before each streamed chunk. */
  chunkDelayMs?: number;
  /** Wait this long before sending the response headers. */
  delayMs?: number;
  /** Destroy the connection after this many streamed chunks. */
  cutAfterChunks?: number;
  /** Send no chunk with a finish_reason (the stream still ends with [DONE]). */
  omitFinishReason?: boolean;
  /** Answer 200 with an SSE content type and an empty body. */
  emptyBody?: boolean;
  /** After this many chunks, send an `error` data event (as servers report a failure mid-stream) and end. */
  errorAfterChunks?: number;
}

/** An HTTP error answer, shaped as the server's profile shapes errors (OpenAI's by default). */
export interface FakeError {
  error: {
    status: number;
    message?: string;
    type?: string;
    code?: string;
    /** Seconds, sent as `retry-after` (and `retry-after-ms`). */
    retryAfter?: number;
  };
}

/** Never answers: the request hangs until the client gives up. */
export interface FakeHang {
  hang: true;
}

export type FakeReply = FakeCompletion | FakeError | FakeHang;

export function isFakeError(reply: FakeReply): reply is FakeError {
  return 'error' in reply;
}

export function isFakeHang(reply: FakeReply): reply is FakeHang {
  return 'hang' in reply;
}
