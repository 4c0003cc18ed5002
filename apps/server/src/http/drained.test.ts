// Waiting for a connection to take more: until it drains, at once when it is
// gone, and cut off after stallMs of taking nothing.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { drained } from './drained.ts';

/** A stream whose reader takes nothing until `release()`, already full. */
function fullStream() {
  const waiting: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 8,
    write(_chunk, _encoding, done) {
      waiting.push(() => done());
    },
  });
  expect(stream.write('more than eight bytes')).toBe(false);
  const release = () => {
    for (const done of waiting.splice(0)) done();
  };
  return { stream, release };
}

describe('drained', () => {
  it('waits for the stream to take more', async () => {
    const { stream, release } = fullStream();
    let done = false;
    const waiting = drained(stream, 1_000).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    release();
    await waiting;
    expect(stream.destroyed).toBe(false);
  });

  it('resolves at once for a stream already closed', async () => {
    const { stream } = fullStream();
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    await drained(stream); // its 'close' has come and gone: this must not wait for it
  });

  it('cuts off a stream that takes nothing for stallMs', async () => {
    const { stream } = fullStream();
    const started = performance.now();
    await drained(stream, 50);
    expect(stream.destroyed).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});
