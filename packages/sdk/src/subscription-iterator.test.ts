import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './subscription-iterator.ts';

describe('reconnectDelayMs', () => {
  it('doubles up to 5 s, each wait spread over the upper half', () => {
    for (const [attempt, ceiling] of [
      [0, 100],
      [3, 800],
      [20, 5_000],
    ] as const) {
      const waits = Array.from({ length: 200 }, () => reconnectDelayMs(attempt));
      for (const wait of waits) {
        expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
        expect(wait).toBeLessThanOrEqual(ceiling);
      }
      // Clients cut off together come back spread out, not in step.
      expect(new Set(waits.map(Math.round)).size).toBeGreaterThan(20);
    }
  });
});
