import { appRouter } from '@agentrpc/server';
import { describe, expect, it } from 'vitest';
import { mutations, subscriptions } from './procedure-kinds.ts';

describe('procedure kinds', () => {
  it('match the server router exactly', () => {
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { type: string } }
    >;
    const byKind = (kind: string) =>
      Object.entries(procedures)
        .filter(([, p]) => p._def.type === kind)
        .map(([path]) => path)
        .sort();
    expect(byKind('subscription')).toEqual([...subscriptions].sort());
    expect(byKind('mutation')).toEqual([...mutations].sort());
  });
});
