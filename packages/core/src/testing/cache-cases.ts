// Store conformance, the response cache: entries per user, gone once expired.
import { describe, expect, it } from 'vitest';
import type { Store } from '../store/types.ts';
import { uid } from './store-fixtures.ts';

/** The cases of this part; `setup` gives the suite's store. */
export function cacheCases(setup: () => Promise<Store>): void {
  describe('response cache', () => {
    it('returns what was stored for its user until it expires', async () => {
      const s = await setup();
      const userId = uid('u');
      const response = {
        content: 'cached answer',
        toolCalls: [{ id: 'c', name: 't', arguments: '{}' }],
      };
      expect(await s.getCachedResponse({ userId, key: 'k1' })).toBeNull();
      await s.putCachedResponse({ userId, key: 'k1' }, response, 10_000);
      expect(await s.getCachedResponse({ userId, key: 'k1' })).toEqual(response);
      expect(await s.getCachedResponse({ userId: uid('stranger'), key: 'k1' })).toBeNull();
      await s.putCachedResponse({ userId, key: 'short' }, response, 40);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await s.getCachedResponse({ userId, key: 'short' })).toBeNull();
    });
  });
}
