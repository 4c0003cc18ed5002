// Writing a streamed /v1 answer as it is made: each item's frames as SSE
// `data:` lines. A client that reads slowly holds its own stream back: the
// next item is taken only once the response has drained, so the server never
// buffers a whole run's output for one (a run's reader that falls behind
// reads from the event log, not from memory).
import type { Writable } from 'node:stream';
import { drained } from '../http/drained.ts';

export interface DataFrames<T> {
  /** What each item is sent as, one `data:` line per frame. */
  framesOf: (item: T) => readonly unknown[];
  /** A response that takes nothing for this long, its buffers full, is closed (default never). */
  stallMs?: number;
}

/** Writes every item's frames, waiting for `res` to drain when it asks to; the last item. */
export async function writeDataFrames<T>(
  res: Writable,
  items: AsyncIterable<T>,
  frames: DataFrames<T>,
): Promise<T | undefined> {
  let last: T | undefined;
  for await (const item of items) {
    last = item;
    let more = true;
    for (const frame of frames.framesOf(item)) {
      more = res.write(`data: ${JSON.stringify(frame)}\n\n`);
    }
    if (!more) await drained(res, frames.stallMs);
  }
  return last;
}
