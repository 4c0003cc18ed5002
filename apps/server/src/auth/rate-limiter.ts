// Per-user request rate limits as token buckets: each user may burst up to
// `burst` requests, refilled at `perMinute`; over it, RATE_LIMITED with a retry hint.
// The buckets kept are capped: keyed by client address (failed credentials), a
// flood from many addresses would otherwise grow them without end, and a scan
// of all of them on every request past the cap would cost the flood's victim
// more than the flood.
import { AgentRpcError } from '@agentrpc/core';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;

  constructor(options: { perMinute: number; burst?: number; maxKeys?: number }) {
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst ?? Math.max(1, Math.ceil(options.perMinute / 6));
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** How many keys have a bucket. */
  get size(): number {
    return this.#buckets.size;
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
    if (this.#buckets.size > this.#maxKeys) this.#prune(now);
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

  /**
   * Drops buckets that have refilled completely (they carry no state), then,
   * while more than 90 % of the cap are left, the oldest: a key that comes
   * back gets a full bucket, as a new address would. So the next pass is a
   * tenth of the cap of new keys away, whatever the keys are.
   */
  #prune(now: number) {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.#perMs >= this.#burst)
        this.#buckets.delete(key);
    }
    const keep = Math.floor(this.#maxKeys * 0.9);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= keep) break;
      this.#buckets.delete(key);
    }
  }
}
