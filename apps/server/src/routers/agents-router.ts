// agents.list / agents.get: what the server offers.
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc/init.ts';
import { id } from './schemas.ts';

export const agentsRouter = {
  list: authedProcedure.query(({ ctx }) => ctx.services.agents.list()),
  get: authedProcedure.input(z.object({ agentId: id })).query(({ ctx, input }) => {
    const agent = ctx.services.agents.get(input.agentId);
    const info = ctx.services.agents.list().find((a) => a.id === agent.id);
    return info!;
  }),
} satisfies TRPCRouterRecord;
