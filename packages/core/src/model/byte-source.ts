// A reply body as bytes pushed to a listener, whether it is a Node stream (see
// http-fetch.ts) or a web stream; sse-chunks reads through this. Pushing lets
// the reader parse what arrived in the same call, rather than hop through a
// promise or two per network read.
import type { Readable } from 'node:stream';

export interface ByteListener {
  bytes(bytes: Uint8Array): void;
  end(): void;
  fail(error: unknown): void;
}

export interface ByteSource {
  /** Holds further bytes back until `resume()`. */
  pause(): void;
  resume(): void;
  /** Stops reading and frees the connection; nothing more reaches the listener. */
  cancel(): void;
}

/**
 * Reads a Node stream in paused mode: at each 'readable', everything that has
 * arrived is taken in one read. (Flowing mode cost a few % less CPU per chunk
 * on a server with cores to spare, but in overload it delayed new runs' first
 * tokens: docs/performance-notes.md, "Capacity per core, run by run".) A stream closed before
 * its end fails as undici's fetch does.
 */
export function nodeByteSource(stream: Readable, listener: ByteListener): ByteSource {
  let over = false;
  let paused = false;
  const fail = (error: unknown) => {
    if (over) return;
    over = true;
    listener.fail(error);
  };
  const readAll = () => {
    for (;;) {
      if (over || paused) return;
      const bytes = stream.read() as Buffer | null;
      if (bytes === null) return;
      listener.bytes(bytes);
    }
  };
  stream.on('readable', readAll);
  stream.once('end', () => {
    if (over) return;
    over = true;
    listener.end();
  });
  stream.once('error', fail);
  stream.once('close', () => fail(new TypeError('terminated')));
  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      queueMicrotask(readAll); // not from inside the caller's own read
    },
    cancel: () => {
      if (over) return;
      over = true;
      stream.destroy();
    },
  };
}

/** Reads a web stream, one read at a time while not paused. */
export function webByteSource(
  body: ReadableStream<Uint8Array>,
  listener: ByteListener,
): ByteSource {
  const reader = body.getReader();
  let over = false;
  let paused = false;
  let reading = false;
  const pump = async () => {
    if (reading) return;
    reading = true;
    try {
      while (!over && !paused) {
        const read = await reader.read();
        if (over) return;
        if (read.done) {
          over = true;
          listener.end();
          return;
        }
        listener.bytes(read.value);
      }
    } catch (error) {
      if (over) return;
      over = true;
      listener.fail(error);
    } finally {
      reading = false;
    }
  };
  void pump();
  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      void pump();
    },
    cancel: () => {
      if (over) return;
      over = true;
      reader.cancel().catch(() => {}); // its outcome no longer matters
    },
  };
}
