// Reads a streaming Chat Completions response body as chunks. The openai SDK
// sends the request (auth, retries, status errors); the body is read here in one
// pass over decoded text, which costs about half the CPU of the SDK's stacked
// async generators on long streams (bench/RESULTS.md, "client CPU per chunk").
import OpenAI from 'openai';
import { SseDecoder, type SseEvent } from '../sse/sse-decoder.ts';
import { nodeByteReader, webByteReader } from './byte-reader.ts';
import { takeNodeBody } from './http-fetch.ts';
import type { ChatCompletionChunk } from './types.ts';

function chunkOf(sse: SseEvent, headers: Headers): ChatCompletionChunk {
  let data: { error?: object } | null;
  try {
    data = JSON.parse(sse.data);
  } catch {
    throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
  }
  if (sse.event === 'error') {
    throw new OpenAI.APIError(undefined, data?.error ?? data ?? undefined, undefined, headers);
  }
  if (data?.error) throw new OpenAI.APIError(undefined, data.error, undefined, headers);
  return data as ChatCompletionChunk;
}

/** The chunks of a streaming response, ending at `[DONE]` or the end of the body. */
export function sseChunks(response: Response): AsyncIterableIterator<ChatCompletionChunk> {
  const nodeBody = takeNodeBody(response);
  const body = nodeBody ?? response.body;
  if (!body) throw new OpenAI.OpenAIError('Attempted to iterate over a response with no body');
  const reader = nodeBody ? nodeByteReader(nodeBody) : webByteReader(body as ReadableStream);
  const text = new TextDecoder();
  const decoder = new SseDecoder();
  let pending: SseEvent[] = [];
  let head = 0;
  let bodyDone = false;
  let stopped = false;

  /** Stops reading; cancelling the body frees the connection. */
  const stop = () => {
    if (stopped) return;
    stopped = true;
    pending = [];
    if (!bodyDone) reader.cancel();
  };
  /**
   * After `[DONE]` the body ends at once on every provider seen: reading that
   * end, rather than cancelling, keeps the connection open for the next request.
   */
  const finish = () => {
    if (stopped) return;
    stopped = true;
    pending = [];
    if (bodyDone) return;
    reader.read().then(
      (bytes) => {
        if (bytes) reader.cancel();
      },
      () => {},
    );
  };

  async function next(): Promise<IteratorResult<ChatCompletionChunk>> {
    while (!stopped) {
      if (head < pending.length) {
        const sse = pending[head++] as SseEvent;
        if (sse.data === '[DONE]') {
          finish();
          break;
        }
        return { value: chunkOf(sse, response.headers), done: false };
      }
      if (bodyDone) break;
      pending = [];
      head = 0;
      const bytes = await reader.read();
      if (!bytes) {
        bodyDone = true;
        decoder.push(text.decode(), pending);
        decoder.end(pending);
      } else {
        decoder.push(text.decode(bytes, { stream: true }), pending);
      }
    }
    stop();
    return { value: undefined, done: true };
  }

  return {
    next: () =>
      next().catch((error: unknown) => {
        stop();
        throw error;
      }),
    return: async () => {
      stop();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
