import { describe, expect, it } from 'vitest';
import { ShedError } from './raw-clients.ts';

// The streams of a test start together and carry a few chunks.
process.env.RAMP_MS = '0';
process.env.CHUNKS = '3';
const { collect } = await import('./load-measure.ts');

describe('collect', () => {
  it('counts each failed stream under what it failed with, and a shed one apart', async () => {
    const figures = await collect(5, async (i, onDelta) => {
      if (i === 0) throw new ShedError('shed');
      if (i <= 2) throw new Error('connect ECONNREFUSED\n  at the socket');
      for (let k = 0; k < (i === 3 ? 1 : 3); k++) onDelta('abcd');
    });
    expect(figures.completed).toBe(1);
    expect(figures.shed).toBe(1);
    expect(figures.errors).toBe(3);
    expect(figures.errorReasons).toEqual({
      'connect ECONNREFUSED at the socket': 2,
      'ended after 1 of 3 chunks': 1,
    });
  });
});
