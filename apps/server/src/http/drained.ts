// Waiting for a connection that reported backpressure to take more. Both
// subscription transports and the /v1 streams stop taking a stream's events
// meanwhile, so a client that reads slowly holds back its own streams rather
// than having the server buffer them (a replayed run can be megabytes). One
// that takes nothing for `stallMs` is cut off: it holds a subscription slot
// and its buffers, and a client that is only slow reconnects and resumes.
import type { EventEmitter } from 'node:events';

/** A response or socket: what can be waited on and cut off. */
type Connection = EventEmitter & { readonly destroyed: boolean; destroy(): void };

/**
 * Resolves once `stream` can take more ('drain') or is gone ('close'), at once
 * when it is gone already: a write to a closed response returns false too,
 * and its 'close' has been and gone. With `stallMs`, a stream still full
 * after that long is destroyed (and so resolves).
 */
export function drained(stream: Connection, stallMs?: number): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const cutOff = stallMs === undefined ? undefined : setTimeout(() => stream.destroy(), stallMs);
    const done = () => {
      clearTimeout(cutOff);
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
