// Reading a reply body chunk by chunk, whether it is a web stream or a Node
// stream (see http-fetch.ts); sse-chunks reads through this.
import type { Readable } from 'node:stream';

export interface ByteReader {
  /** The next bytes, or undefined at the end; rejects when the body fails. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading and frees the connection. */
  cancel(): void;
}

export function webByteReader(body: ReadableStream<Uint8Array>): ByteReader {
  const reader = body.getReader();
  return {
    read: () => reader.read().then((read) => (read.done ? undefined : read.value)),
    cancel: () => {
      reader.cancel().catch(() => {}); // its outcome no longer matters
    },
  };
}

/** Reads a Node stream in paused mode: each read takes all that arrived since the last one. */
export function nodeByteReader(stream: Readable): ByteReader {
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  stream.on('readable', notify);
  stream.once('end', () => {
    ended = true;
    notify();
  });
  stream.once('error', (error) => {
    failure = error;
    notify();
  });
  stream.once('close', () => {
    if (!ended) failure ??= new TypeError('terminated');
    notify();
  });
  return {
    async read() {
      for (;;) {
        if (failure !== undefined) throw failure;
        const chunk = stream.read() as Buffer | null;
        if (chunk !== null) return chunk;
        if (ended) return undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    cancel: () => {
      if (!ended) stream.destroy();
    },
  };
}
