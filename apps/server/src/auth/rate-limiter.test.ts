import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with when to retry, then refills', () => {
    const limiter = new RateLimiter({ perMinute: 60, burst: 2 });
    limiter.take('alice', 0);
    limiter.take('alice', 0);
    expect(() => limiter.take('alice', 0)).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED', retryAfter: 1 }),
    );
    limiter.take('bob', 0); // a bucket of its own
    limiter.take('alice', 1_000); // a token a second
    expect(() => limiter.take('alice', 1_000)).toThrow(/retry in 1 s/);
  });

  it('keeps at most maxKeys buckets however many keys come, each still limited while kept', () => {
    const limiter = new RateLimiter({ perMinute: 60, burst: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) {
      limiter.take(`address:${i}`, 0);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    // The latest keys are kept, their buckets empty.
    expect(() => limiter.take('address:9999', 0)).toThrow(/retry in/);
  });

  it('lets go first of the buckets that have refilled, which hold nothing', () => {
    const limiter = new RateLimiter({ perMinute: 60, burst: 1, maxKeys: 10 });
    limiter.take('limited', 0);
    for (let i = 0; i < 10; i++) limiter.take(`idle:${i}`, 0);
    // Ten seconds on, the idle ones have refilled; `limited` takes again and stays empty.
    limiter.take('limited', 10_000);
    limiter.take('new', 10_000); // past the cap: the full buckets go
    expect(limiter.size).toBe(2);
    expect(() => limiter.take('limited', 10_000)).toThrow(/retry in/);
  });
});
