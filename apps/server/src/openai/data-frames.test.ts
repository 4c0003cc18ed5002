// A /v1 stream takes the next event only once a slow client has taken what
// it was sent, and stops waiting when the client goes away.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeDataFrames } from './data-frames.ts';

/** A response whose client reads nothing until `release()`; what it was sent, once read. */
function heldResponse() {
  const waiting: (() => void)[] = [];
  const received: string[] = [];
  let holding = true;
  const res = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      if (holding) waiting.push(() => done());
      else done();
    },
  });
  const release = () => {
    holding = false;
    for (const done of waiting.splice(0)) done();
  };
  return { res, received, release };
}

describe('writeDataFrames', () => {
  it('takes no further item while the response is held back, and writes all once it drains', async () => {
    const { res, received, release } = heldResponse();
    let taken = 0;
    async function* items() {
      for (let n = 1; n <= 50; n++) {
        taken = n;
        yield n;
      }
    }
    const writing = writeDataFrames(res, items(), {
      framesOf: (n) => [{ n, pad: 'x'.repeat(100) }],
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first frame filled the response's buffer: the loop waits before taking the second item.
    expect(taken).toBe(1);
    release();
    expect(await writing).toBe(50);
    expect(taken).toBe(50);
    const numbers = received.join('').split('\n\n').filter(Boolean);
    expect(numbers.map((line) => JSON.parse(line.slice('data: '.length)).n)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('stops waiting when the response closes, as when the client goes away', async () => {
    const { res } = heldResponse();
    async function* items() {
      yield 1;
      yield 2;
    }
    const writing = writeDataFrames(res, items(), {
      framesOf: (n) => [{ n, pad: 'x'.repeat(100) }],
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    res.destroy();
    // Writes after the close are dropped by the stream; the loop ends with the items.
    await expect(writing).resolves.toBe(2);
  });
});
