// admin.*: for callers with the `admin` role: the runs going now and the
// server's totals since it started (the same counters /metrics exports).
import { AgentRpcError } from '@agentrpc/core';
import type { TRPCRouterRecord } from '@trpc/server';
import { isAdmin } from '../auth/principal.ts';
import { authedProcedure } from '../trpc/init.ts';

const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!isAdmin(ctx.principal)) throw new AgentRpcError('FORBIDDEN', 'admins only');
  return next();
});

/** Sums a counter's values, optionally by one label. */
async function sumOf(
  counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  label?: string,
): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const { value, labels } of (await counter.get()).values) {
    const key = label ? String(labels[label]) : 'total';
    sums[key] = (sums[key] ?? 0) + value;
  }
  return sums;
}

export const adminRouter = {
  overview: adminProcedure.query(async ({ ctx }) => {
    const { metrics, runs } = ctx.services;
    const tokens = await sumOf(metrics.tokens, 'kind');
    return {
      liveRuns: runs.liveRuns(),
      totals: {
        runsByStatus: await sumOf(metrics.runs, 'status'),
        inputTokens: tokens.input ?? 0,
        outputTokens: tokens.output ?? 0,
        costUsd: (await sumOf(metrics.cost)).total ?? 0,
        subscriptions: (await metrics.subscriptions.get()).values[0]?.value ?? 0,
      },
    };
  }),
} satisfies TRPCRouterRecord;
