// Reads a streaming Chat Completions response body as chunks. The openai SDK
// sends the request (auth, retries, status errors); the body is read here in one
// pass over decoded text, which costs about half the CPU of the SDK's stacked
// async generators on long streams (bench/RESULTS.md, "client CPU per chunk").
import { StringDecoder } from 'node:string_decoder';
import OpenAI from 'openai';
import { SseDecoder, type SseEvent } from '../wire/sse-decoder.ts';
import { type ByteListener, nodeByteSource, webByteSource } from './byte-source.ts';
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
  // vLLM reports a failure mid-stream as a bare error object: {"object":"error","message":...}.
  if ((data as { object?: string } | null)?.object === 'error') {
    throw new OpenAI.APIError(undefined, data ?? undefined, undefined, headers);
  }
  return data as ChatCompletionChunk;
}

/**
 * Closes an answer whose stream said `[DONE]` without any chunk carrying a
 * finish_reason (some servers never send one): the server said it was done.
 */
const closingChunk = (): ChatCompletionChunk => ({
  id: '',
  object: 'chat.completion.chunk',
  created: 0,
  model: '',
  choices: [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }],
});

/** Bytes received but not yet read, past which the body is paused until the reader catches up. */
const maxUnreadBytes = 64 * 1024;

/** The chunks of a streaming response, ending at `[DONE]` or the end of the body. */
export function sseChunks(response: Response): AsyncIterableIterator<ChatCompletionChunk> {
  const nodeBody = takeNodeBody(response);
  const body = nodeBody ?? response.body;
  if (!body) throw new OpenAI.OpenAIError('Attempted to iterate over a response with no body');
  // Node's decoder rather than TextDecoder: with `stream`, TextDecoder goes
  // through ICU's converter, a few times the cost per chunk of this one.
  const text = new StringDecoder('utf8');
  const decoder = new SseDecoder();
  /**
   * Bytes arrived since the reader last caught up. They are decoded when the
   * reader gets to them, all at once: a fast stream arrives in many small
   * pieces, and decoding each on arrival costs more than decoding them together.
   * A paced stream's chunk comes in one piece, held on its own: an array made
   * for it at each chunk lived until the next one, long enough to be moved to
   * the old generation, and was much of a streaming server's garbage.
   */
  let unread: Uint8Array | undefined;
  let unreadMore: Uint8Array[] | undefined;
  let unreadBytes = 0;
  let events: SseEvent[] = [];
  let head = 0;
  let paused = false;
  let bodyDone = false;
  /** The decoder was told the body ended (it keeps a last event without its blank line). */
  let endDecoded = false;
  let failure: { error: unknown } | undefined;
  /** No more chunks for the reader: [DONE], the end, a failure, or the reader left. */
  let stopped = false;
  /** After [DONE] the body is read to its end, so the connection can be used again. */
  let draining = false;
  /** Some chunk carried a finish_reason. */
  let answerClosed = false;
  let waiting:
    | {
        resolve: (result: IteratorResult<ChatCompletionChunk>) => void;
        reject: (error: unknown) => void;
      }
    | undefined;

  const finished = (): IteratorResult<ChatCompletionChunk> => ({ value: undefined, done: true });

  /** Stops reading; cancelling the body frees the connection. */
  const stop = () => {
    stopped = true;
    unread = undefined;
    unreadMore = undefined;
    events = [];
    head = 0;
    if (!bodyDone) source.cancel();
  };

  /** Turns the unread bytes into events (and, at the end of the body, the last one). */
  const decodeUnread = () => {
    const bytes = unread && unreadMore ? Buffer.concat([unread, ...unreadMore]) : unread;
    unread = undefined;
    unreadMore = undefined;
    unreadBytes = 0;
    events = [];
    head = 0;
    if (bytes) decoder.push(text.write(bytes), events);
    if (bodyDone && !failure) {
      endDecoded = true;
      decoder.push(text.end(), events);
      decoder.end(events);
    }
    if (paused) {
      paused = false;
      source.resume();
    }
  };

  /**
   * The reader's next result if one is ready, else undefined; throws what the
   * stream failed with. After `[DONE]` the body ends at once on every provider
   * seen: reading that end, rather than cancelling, keeps the connection.
   */
  const take = (): IteratorResult<ChatCompletionChunk> | undefined => {
    if (stopped) return finished();
    if (head === events.length && (unread !== undefined || (bodyDone && !endDecoded && !failure))) {
      decodeUnread();
    }
    if (head < events.length) {
      const sse = events[head++] as SseEvent;
      // Let go of the decoded events once all are taken: held until the next
      // chunk (a paced stream's gap), each stream's last event and the text it
      // was cut from outlived a scavenge, and collecting that copying was a
      // large share of a streaming server's garbage collection.
      if (head === events.length) {
        events = [];
        head = 0;
      }
      if (sse.data !== '[DONE]') {
        const chunk = chunkOf(sse, response.headers);
        if (!answerClosed) answerClosed = chunk.choices?.some((c) => c.finish_reason) ?? false;
        return { value: chunk, done: false };
      }
      stopped = true;
      events = [];
      draining = !bodyDone;
      if (paused) source.resume();
      return answerClosed ? finished() : { value: closingChunk(), done: false };
    }
    if (failure) throw failure.error;
    if (bodyDone) {
      stopped = true;
      return finished();
    }
    return undefined;
  };

  /** Hands the waiting reader its result, once there is one. */
  const settle = () => {
    const reader = waiting;
    if (!reader) return;
    let result: IteratorResult<ChatCompletionChunk> | undefined;
    try {
      result = take();
    } catch (error) {
      waiting = undefined;
      stop();
      reader.reject(error);
      return;
    }
    if (!result) return;
    waiting = undefined;
    reader.resolve(result);
  };

  const listener: ByteListener = {
    bytes(bytes) {
      if (draining) {
        // Bytes after [DONE]: this reply is not ending as expected; let it go.
        draining = false;
        source.cancel();
        return;
      }
      if (stopped) return;
      if (unread === undefined) unread = bytes;
      else if (unreadMore) unreadMore.push(bytes);
      else unreadMore = [bytes];
      unreadBytes += bytes.length;
      if (waiting) settle();
      else if (unreadBytes > maxUnreadBytes && !paused) {
        paused = true;
        source.pause();
      }
    },
    end() {
      bodyDone = true;
      draining = false;
      if (!stopped) settle();
    },
    fail(error) {
      bodyDone = true;
      draining = false;
      if (stopped) return;
      failure = { error };
      settle();
    },
  };
  const source = nodeBody
    ? nodeByteSource(nodeBody, listener)
    : webByteSource(body as ReadableStream<Uint8Array>, listener);

  return {
    next() {
      try {
        const result = take();
        if (result) return Promise.resolve(result);
      } catch (error) {
        stop();
        return Promise.reject(error);
      }
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    async return() {
      if (!stopped) stop();
      waiting?.resolve(finished());
      waiting = undefined;
      return finished();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
