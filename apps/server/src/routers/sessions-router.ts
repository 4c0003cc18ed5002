// sessions.*: a user's own sessions, with their history as chat messages.
import { AgentRpcError, type Message } from '@agentrpc/core';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { targetUser } from '../auth/principal.ts';
import { authedProcedure } from '../trpc/init.ts';
import { existingSession } from './existing-session.ts';
import { id, json, pageInput } from './schemas.ts';

const sessionKey = z.object({ sessionId: id });
/** A session to read: the caller's, or (admins only) another user's. */
const sessionToRead = sessionKey.extend({ userId: id.optional() });

export const sessionsRouter = {
  list: authedProcedure
    .input(
      z
        .object({
          agentId: id.optional(),
          name: z.string().max(200).optional(),
          sortBy: z.enum(['updatedAt', 'createdAt']).optional(),
          order: z.enum(['asc', 'desc']).optional(),
          /** Admins only: list another user's sessions. */
          userId: id.optional(),
          ...pageInput,
        })
        .default({}),
    )
    .query(({ ctx, input }) =>
      ctx.services.store.listSessions({
        ...input,
        userId: targetUser(ctx.principal, input.userId),
      }),
    ),

  get: authedProcedure.input(sessionToRead).query(({ ctx, input }) =>
    existingSession(ctx.services.store, {
      userId: targetUser(ctx.principal, input.userId),
      sessionId: input.sessionId,
    }),
  ),

  /** The session's conversation: every completed run's messages, oldest first. */
  messages: authedProcedure
    .input(sessionToRead.extend({ limitRuns: z.number().int().min(1).max(1000).optional() }))
    .query(async ({ ctx, input }) => {
      const userId = targetUser(ctx.principal, input.userId);
      await existingSession(ctx.services.store, { userId, sessionId: input.sessionId });
      const runs = await ctx.services.store.listRuns({
        userId,
        sessionId: input.sessionId,
        status: 'completed',
        order: 'desc',
        limit: input.limitRuns ?? 100,
      });
      return runs
        .reverse()
        .flatMap((run): (Message & { runId: string })[] =>
          run.messages.map((m) => ({ ...m, runId: run.runId })),
        );
    }),

  rename: authedProcedure
    .input(sessionKey.extend({ name: z.string().min(1).max(200) }))
    .mutation(({ ctx, input }) =>
      ctx.services.store.updateSession(
        { userId: ctx.principal.userId, sessionId: input.sessionId },
        { name: input.name },
      ),
    ),

  updateState: authedProcedure
    .input(sessionKey.extend({ state: json }))
    .mutation(({ ctx, input }) =>
      ctx.services.store.updateSessionState(
        { userId: ctx.principal.userId, sessionId: input.sessionId },
        input.state,
      ),
    ),

  delete: authedProcedure.input(sessionKey).mutation(async ({ ctx, input }) => {
    const deleted = await ctx.services.store.deleteSession({
      userId: ctx.principal.userId,
      sessionId: input.sessionId,
    });
    if (!deleted) throw new AgentRpcError('NOT_FOUND', `session ${input.sessionId} not found`);
    return { deleted };
  }),
} satisfies TRPCRouterRecord;
