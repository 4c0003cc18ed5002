import { describe, expect, it } from 'vitest';
import { consumeFeed, createFeed, type FeedSink, mapFeed, pushTo } from './event-feed.ts';

/** A feed of 1..count that obeys pauses and records what happened to it. */
function counting(count: number, options: { failAt?: number } = {}) {
  const log: string[] = [];
  let next = 1;
  const feed = createFeed<number>((sink: FeedSink<number>) => {
    let stopped = false;
    const run = () => {
      while (!stopped && next <= count) {
        if (next === options.failAt) {
          stopped = true;
          sink.fail(new Error(`failed at ${next}`));
          return;
        }
        log.push(`push ${next}`);
        if (!sink.value(next++)) {
          log.push('pause');
          return;
        }
      }
      if (!stopped) {
        stopped = true;
        sink.end();
      }
    };
    queueMicrotask(run);
    return {
      resume: () => {
        log.push('resume');
        run();
      },
      stop: () => {
        log.push('stop');
        stopped = true;
      },
    };
  });
  return { feed, log };
}

describe('event feeds', () => {
  it('read as an async iterable, hold at most one value ahead of the reader', async () => {
    const { feed, log } = counting(4);
    const seen: number[] = [];
    for await (const value of feed) {
      seen.push(value);
      // Never more than one value pushed that the reader has not taken.
      const pushed = log.filter((line) => line.startsWith('push')).length;
      expect(pushed - seen.length).toBeLessThanOrEqual(1);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(log).toContain('pause');
    expect(log).toContain('resume');
  });

  it('give a failure to the reader after the values before it', async () => {
    const { feed } = counting(5, { failAt: 3 });
    const seen: number[] = [];
    await expect(async () => {
      for await (const value of feed) seen.push(value);
    }).rejects.toThrow('failed at 3');
    expect(seen).toEqual([1, 2]);
  });

  it('stop their source when the reader breaks off', async () => {
    const { feed, log } = counting(100);
    for await (const value of feed) if (value === 2) break;
    expect(log).toContain('stop');
    expect(log.filter((line) => line.startsWith('push')).length).toBeLessThanOrEqual(3);
  });

  it('map values and failures', async () => {
    const { feed } = counting(3, { failAt: 3 });
    const mapped = mapFeed(
      feed,
      (value) => value * 10,
      (error) => new Error(`mapped: ${(error as Error).message}`),
    );
    const seen: number[] = [];
    await expect(
      consumeFeed(
        mapped,
        (value) => {
          seen.push(value);
          return true;
        },
        new AbortController().signal,
      ),
    ).rejects.toThrow('mapped: failed at 3');
    expect(seen).toEqual([10, 20]);
  });

  it('pause while the consumer waits for a promise, and go on when it settles', async () => {
    const { feed, log } = counting(3);
    let release: () => void = () => {};
    const seen: number[] = [];
    const done = consumeFeed(
      feed,
      (value) => {
        seen.push(value);
        if (value !== 1) return true;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      new AbortController().signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([1]);
    release();
    await done;
    expect(seen).toEqual([1, 2, 3]);
    expect(log.indexOf('resume')).toBeGreaterThan(log.indexOf('pause'));
  });

  it('end a consumer at once when its signal aborts, and stop the source', async () => {
    const feed = createFeed<number>(() => ({ resume: () => {}, stop: () => stops.push('stop') }));
    const stops: string[] = [];
    const abort = new AbortController();
    const done = consumeFeed(feed, () => true, abort.signal);
    abort.abort();
    await done;
    expect(stops).toEqual(['stop']);
    expect(pushTo in feed).toBe(true);
  });
});

describe('consumeFeed over a plain async iterable', () => {
  /** 1, 2, 3 from a generator that records whether it was closed. */
  function generator() {
    const log: string[] = [];
    async function* values() {
      try {
        for (const n of [1, 2, 3]) yield n;
        log.push('ended');
      } finally {
        log.push('closed');
      }
    }
    return { values: values(), log };
  }

  it('takes every value, waiting only for a take that returns a promise', async () => {
    const { values, log } = generator();
    const taken: number[] = [];
    await consumeFeed(values, (n) => {
      taken.push(n);
      return n === 2 ? new Promise((resolve) => setTimeout(resolve, 5)) : true;
    });
    expect(taken).toEqual([1, 2, 3]);
    expect(log).toEqual(['ended', 'closed']);
  });

  it('closes the iterable when a take throws, and rejects with what it threw', async () => {
    const { values, log } = generator();
    await expect(
      consumeFeed(values, (n) => {
        if (n === 2) throw new Error('cannot take 2');
        return true;
      }),
    ).rejects.toThrow('cannot take 2');
    expect(log).toEqual(['closed']);
  });
});
