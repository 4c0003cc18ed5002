// Waiting for a connection that reported backpressure to take more. Both
// subscription transports stop taking a stream's events meanwhile, so a
// client that reads slowly, or not at all, holds back its own streams rather
// than having the server buffer them (a replayed run can be megabytes).
import type { EventEmitter } from 'node:events';

/**
 * Resolves once `stream` can take more ('drain') or is gone ('close'), at once
 * when it is gone already: a write to a closed response returns false too,
 * and its 'close' has been and gone.
 */
export function drained(stream: EventEmitter & { readonly destroyed: boolean }): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
