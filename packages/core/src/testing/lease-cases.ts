// Store conformance, leases: one owner at a time, taken over once expired,
// renewed and released only by their owner.
import { describe, expect, it } from 'vitest';
import type { Store } from '../store/types.ts';
import { uid } from './store-fixtures.ts';

/** The cases of this part; `setup` gives the suite's store. */
export function leaseCases(setup: () => Promise<Store>): void {
  describe('leases', () => {
    it('are exclusive until released or expired', async () => {
      const s = await setup();
      const key = uid('session');
      expect(await s.acquireLease({ key, owner: 'a', ttlMs: 10_000 })).toBe(true);
      expect(await s.acquireLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
      expect(await s.acquireLease({ key, owner: 'a', ttlMs: 10_000 })).toBe(true);
      expect(await s.renewLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
      expect(await s.renewLease({ key, owner: 'a', ttlMs: 10_000 })).toBe(true);
      await s.releaseLease({ key, owner: 'b' });
      expect(await s.acquireLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
      await s.releaseLease({ key, owner: 'a' });
      expect(await s.acquireLease({ key, owner: 'b', ttlMs: 60 })).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await s.acquireLease({ key, owner: 'c', ttlMs: 10_000 })).toBe(true);
      expect(await s.renewLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
    });

    it('let exactly one of many concurrent claimants win', async () => {
      const s = await setup();
      const key = uid('session');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.acquireLease({ key, owner: `o${i}`, ttlMs: 10_000 }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
