import { describe, expect, it } from 'vitest';
import { costOf, definePrices, priceOf } from './pricing.ts';

describe('prices', () => {
  it('knows common models, dated variants included, and can be extended or overridden', () => {
    expect(priceOf('gpt-4o-mini')).toMatchObject({ input: 0.15, output: 0.6 });
    expect(priceOf('gpt-4o-2024-08-06')).toMatchObject({ input: 2.5 });
    expect(priceOf('my-local-model')).toBeUndefined();
    definePrices({ 'my-local-model': { input: 0, output: 0 }, 'gpt-4o': { input: 2, output: 8 } });
    expect(priceOf('my-local-model')).toEqual({ input: 0, output: 0 });
    expect(priceOf('gpt-4o')).toEqual({ input: 2, output: 8 });
  });

  it('charges cached input at the cached rate', () => {
    expect(
      costOf(
        { input: 1, output: 2, cachedInput: 0.5 },
        { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 500_000 },
      ),
    ).toBeCloseTo(0.5 + 0.25 + 2);
  });
});
