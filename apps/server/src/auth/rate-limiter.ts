// Per-user request rate limits as token buckets: each user may burst up to
// `burst` requests, refilled at `perMinute`; over it, RATE_LIMITED with a retry hint.
import { AgentRpcError } from '@agentrpc/core';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;
  readonly #burst: number;

  constructor(options: { perMinute: number; burst?: number }) {
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst ?? Math.max(1, Math.ceil(options.perMinute / 6));
  }

  /** Takes one token for `userId`, or throws RATE_LIMITED saying when to retry. */
  take(userId: string, now = Date.now()): void {
    const bucket = this.#refilled(userId, now);
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil((1 - bucket.tokens) / this.#perMs / 1000);
      throw new AgentRpcError('RATE_LIMITED', `too many requests; retry in ${retryAfter} s`, {
        retryAfter,
      });
    }
    bucket.tokens -= 1;
    if (this.#buckets.size > 100_000) this.#forgetFull(now);
  }

  /** Whether `key` has a token left, without taking it. */
  allows(key: string, now = Date.now()): boolean {
    return this.#refilled(key, now).tokens >= 1;
  }

  #refilled(key: string, now: number): Bucket {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, updatedAt: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.updatedAt) * this.#perMs);
    bucket.updatedAt = now;
    this.#buckets.set(key, bucket);
    return bucket;
  }

  /** Drops buckets that have refilled completely (they carry no state). */
  #forgetFull(now: number) {
    for (const [userId, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.#perMs >= this.#burst)
        this.#buckets.delete(userId);
    }
  }
}
