import { describe, expect, it } from 'vitest';
import { gapsByPhase } from './gap-phases.ts';

describe('gapsByPhase', () => {
  it('splits gaps at the last first chunk and the first last chunk', () => {
    const spans = [
      { firstAt: 100, lastAt: 1_000 },
      { firstAt: 300, lastAt: 1_200 },
    ];
    const gaps = [
      { at: 150, gap: 1 },
      { at: 300, gap: 2 },
      { at: 301, gap: 3 },
      { at: 999, gap: 4 },
      { at: 1_000, gap: 5 },
      { at: 1_200, gap: 6 },
    ];
    expect(gapsByPhase(gaps, spans)).toEqual({
      starting: [1, 2],
      steady: [3, 4],
      ending: [5, 6],
    });
  });

  it('has no steady phase when streams end before the last one starts', () => {
    const spans = [
      { firstAt: 0, lastAt: 50 },
      { firstAt: 100, lastAt: 150 },
    ];
    const phases = gapsByPhase(
      [
        { at: 20, gap: 1 },
        { at: 120, gap: 2 },
      ],
      spans,
    );
    expect(phases).toEqual({ starting: [1], steady: [], ending: [2] });
  });
});
