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

describe('collect, with shed streams asking again', () => {
  it('asks again after the Retry-After until the window closes; first tokens while saturated count apart', async () => {
    const asks = new Map<number, number>();
    const figures = await collect(
      3,
      async (i, onDelta) => {
        const ask = (asks.get(i) ?? 0) + 1;
        asks.set(i, ask);
        // Stream 0 gets in at once, stream 1 on its second try, stream 2 never.
        if (i === 2 || (i === 1 && ask === 1)) throw new ShedError('shed');
        for (let k = 0; k < 3; k++) onDelta('abcd');
      },
      { rampMs: 0, retryShedForMs: 1500 },
    );
    expect([figures.completed, figures.shed, figures.errors]).toEqual([2, 1, 0]);
    // Asked again about a second later; stream 2's next try would have come after the window.
    expect([...asks]).toEqual([
      [0, 1],
      [1, 2],
      [2, 2],
    ]);
    expect(figures.ttfts).toHaveLength(2);
    expect(figures.saturatedTtfts).toHaveLength(1); // stream 1's, asked for after the first refusal
  });
});
