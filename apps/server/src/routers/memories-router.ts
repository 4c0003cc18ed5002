// memories.*: a user's memories, kept across sessions.
import { randomUUID } from 'node:crypto';
import { AgentRpcError } from '@agentrpc/core';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { targetUser } from '../auth/principal.ts';
import { authedProcedure } from '../trpc/init.ts';
import { id } from './schemas.ts';

const memoryText = z.string().min(1).max(10_000);
const topics = z.array(z.string().min(1).max(100)).max(20);

export const memoriesRouter = {
  list: authedProcedure
    .input(
      z
        .object({
          agentId: id.optional(),
          /** Admins only: list another user's memories. */
          userId: id.optional(),
          limit: z.number().int().min(1).max(1000).optional(),
        })
        .default({}),
    )
    .query(({ ctx, input }) =>
      ctx.services.store.listMemories({
        ...input,
        userId: targetUser(ctx.principal, input.userId),
      }),
    ),

  create: authedProcedure
    .input(z.object({ memory: memoryText, topics: topics.optional(), agentId: id.optional() }))
    .mutation(({ ctx, input }) => {
      const now = Date.now();
      return ctx.services.store.createMemory({
        memoryId: randomUUID(),
        userId: ctx.principal.userId,
        memory: input.memory,
        topics: input.topics ?? [],
        ...(input.agentId ? { agentId: input.agentId } : {}),
        createdAt: now,
        updatedAt: now,
      });
    }),

  update: authedProcedure
    .input(z.object({ memoryId: id, memory: memoryText.optional(), topics: topics.optional() }))
    .mutation(({ ctx, input }) => {
      const { memoryId, ...patch } = input;
      return ctx.services.store.updateMemory({ userId: ctx.principal.userId, memoryId }, patch);
    }),

  delete: authedProcedure.input(z.object({ memoryId: id })).mutation(async ({ ctx, input }) => {
    const deleted = await ctx.services.store.deleteMemory({
      userId: ctx.principal.userId,
      memoryId: input.memoryId,
    });
    if (!deleted) throw new AgentRpcError('NOT_FOUND', `memory ${input.memoryId} not found`);
    return { deleted };
  }),
} satisfies TRPCRouterRecord;
