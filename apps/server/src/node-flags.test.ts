import { describe, expect, it } from 'vitest';
import { growthChosen } from './node-flags.ts';

describe('limitOldGenerationGrowth', () => {
  it('leaves the growth to a command line that set it, in either spelling', () => {
    expect(growthChosen(['--heap-growing-percent=30'])).toBe(true);
    expect(growthChosen(['--max-semi-space-size=8', '--heap_growing_percent=50'])).toBe(true);
    expect(growthChosen(['--max-semi-space-size=8', '--conditions=@agentrpc/source'])).toBe(false);
    expect(growthChosen(['--heap-growing-percentage=5'])).toBe(false);
  });
});
