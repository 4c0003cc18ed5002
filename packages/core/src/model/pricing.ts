// List prices (USD per million tokens) for common models, used for costUsd.
// Prices change: override them with the model's `price` option.
import type { ModelPrice } from './types.ts';

const prices: Record<string, ModelPrice> = {
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'deepseek-chat': { input: 0.28, output: 0.42, cachedInput: 0.028 },
  'deepseek-reasoner': { input: 0.28, output: 0.42, cachedInput: 0.028 },
};

/** Adds or replaces prices (USD per million tokens) by model id, for every model without its own `price`. */
export function definePrices(table: Record<string, ModelPrice>): void {
  Object.assign(prices, table);
}

/** Finds a price by exact id, then by the longest known prefix ("gpt-4o-2024-08-06" → gpt-4o). */
export function priceOf(modelId: string): ModelPrice | undefined {
  const exact = prices[modelId];
  if (exact) return exact;
  let best: string | undefined;
  for (const known of Object.keys(prices)) {
    if (modelId.startsWith(`${known}-`) && (!best || known.length > best.length)) best = known;
  }
  return best ? prices[best] : undefined;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

export function costOf(price: ModelPrice, tokens: TokenCounts): number {
  const cached = Math.min(tokens.cachedTokens, tokens.inputTokens);
  const cachedPrice = price.cachedInput ?? price.input;
  const usd =
    (tokens.inputTokens - cached) * price.input +
    cached * cachedPrice +
    tokens.outputTokens * price.output;
  return usd / 1_000_000;
}
