// runs.*: start, stream and follow runs, read them, cancel and continue them.
// Subscriptions yield tracked(`runId:seq`, event) so a client that reconnects
// with lastEventId gets every missed event exactly once.
import { AgentRpcError, type RunEvent, type RunInput, type RunOutput } from '@agentrpc/core';
import { type Feed, mapFeed } from '@agentrpc/core/internal';
import { type TRPCRouterRecord, type TrackedEnvelope, tracked } from '@trpc/server';
import { z } from 'zod';
import { type Principal, targetUser } from '../auth/principal.ts';
import { publicEvent, publicRun } from '../run/public-errors.ts';
import type { Services } from '../trpc/context.ts';
import { toTRPCError } from '../trpc/error-codes.ts';
import { authedProcedure } from '../trpc/init.ts';
import { existingSession } from './existing-session.ts';
import {
  checkRunLimits,
  continueInput,
  id,
  lastEventId,
  type RunInputBody,
  runInput,
  seqFrom,
} from './schemas.ts';

/** Each event as tracked(`runId:seq`, event), as a client may see it; failures as tRPC errors. */
function trackedEvents(events: Feed<RunEvent>): Feed<TrackedEnvelope<RunEvent>> {
  return mapFeed(
    events,
    (event) => tracked(`${event.runId}:${event.seq}`, publicEvent(event)),
    toTRPCError,
  );
}

/**
 * Starts a run. What refuses it (a limit, load shedding) is thrown as a tRPC
 * error already: tRPC would wrap anything else in an error of its own, stack
 * trace and all, on every refusal a saturated server answers.
 */
async function startRun(services: Services, principal: Principal, body: RunInputBody) {
  try {
    checkRunLimits(body, services.limits);
    const { agentId, input, ...options } = body;
    return await services.runs.start(principal, { agentId, input: input as RunInput, options });
  } catch (error) {
    throw toTRPCError(error);
  }
}

/** The run a runs.stream call follows: the one it resumes or repeats, else a new one. */
async function runToStream(
  services: Services,
  principal: Principal,
  request: { body: RunInputBody; resumeFrom: string | null | undefined },
): Promise<string> {
  const { body, resumeFrom } = request;
  if (resumeFrom?.includes(':')) return resumeFrom.slice(0, resumeFrom.lastIndexOf(':'));
  const { runId } = body;
  try {
    return (await startRun(services, principal, body)).runId;
  } catch (error) {
    if (!runId) throw error;
    // The same request again (a client that lost the reply sends it anew): its
    // run exists, so this one could not start (whatever said so first: the id,
    // a limit, load shedding); it follows that run instead. Asked only after a
    // start failed: the start checks the id anyway, and a store read per
    // stream is one too many under load. A store that cannot say leaves the
    // start's own failure to report.
    const repeated = await services.store
      .getRun({ userId: principal.userId, runId })
      .catch(() => null);
    if (repeated) return repeated.runId;
    throw error;
  }
}

/** The run if it is this user's, else NOT_FOUND (another user's run does not exist for them). */
async function ownRun(
  services: Services,
  principal: Principal,
  key: { runId: string; userId?: string | undefined },
): Promise<RunOutput> {
  const { runId } = key;
  const run = await services.store.getRun({ userId: targetUser(principal, key.userId), runId });
  if (!run) throw new AgentRpcError('NOT_FOUND', `run ${runId} not found`);
  return publicRun(run);
}

export const runsRouter = {
  start: authedProcedure
    .input(runInput)
    .mutation(({ ctx, input }) => startRun(ctx.services, ctx.principal, input)),

  /**
   * Starts a run and streams it. On reconnect (lastEventId set) it follows the
   * same run. The run starts in the resolver, before the transport sets up the
   * stream, so the model is already answering while it does.
   */
  stream: authedProcedure
    .input(runInput.extend({ lastEventId }))
    .subscription(async ({ ctx, input, signal }) => {
      const { lastEventId: resumeFrom, ...body } = input;
      const { userId } = ctx.principal;
      const slot = ctx.services.runs.reserveSubscription(userId);
      let runId: string;
      try {
        runId = await runToStream(ctx.services, ctx.principal, { body, resumeFrom });
      } catch (error) {
        slot();
        throw error;
      }
      const afterSeq = seqFrom(resumeFrom, runId);
      return trackedEvents(
        await ctx.services.runs.events({ userId, runId, afterSeq, signal, slot }),
      );
    }),

  /** Replays a run's events after lastEventId, then follows it live until it ends. */
  events: authedProcedure
    .input(z.object({ runId: id, lastEventId }))
    .subscription(async ({ ctx, input, signal }) => {
      const { runId } = input;
      const afterSeq = seqFrom(input.lastEventId, runId);
      return trackedEvents(
        await ctx.services.runs.events({ userId: ctx.principal.userId, runId, afterSeq, signal }),
      );
    }),

  /** A run of the caller's, or (admins only, read-only) of `userId`'s. */
  get: authedProcedure
    .input(z.object({ runId: id, userId: id.optional() }))
    .query(({ ctx, input }) => ownRun(ctx.services, ctx.principal, input)),

  list: authedProcedure
    .input(
      z.object({
        sessionId: id,
        limit: z.number().int().min(1).max(100).optional(),
        /** Admins only: another user's session. */
        userId: id.optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const userId = targetUser(ctx.principal, input.userId);
      await existingSession(ctx.services.store, { userId, sessionId: input.sessionId });
      const runs = await ctx.services.store.listRuns({
        userId,
        sessionId: input.sessionId,
        order: 'asc',
        limit: input.limit ?? 100,
      });
      return runs.map(publicRun);
    }),

  cancel: authedProcedure
    .input(z.object({ runId: id }))
    .mutation(({ ctx, input }) => ctx.services.runs.cancel(ctx.principal, input.runId)),

  continue: authedProcedure.input(continueInput).mutation(async ({ ctx, input }) => {
    const run = await ownRun(ctx.services, ctx.principal, { runId: input.runId });
    const { runId, ...decisions } = input;
    await ctx.services.runs.continue(ctx.principal, { agentId: run.agentId, runId, decisions });
    return { runId, sessionId: run.sessionId };
  }),
} satisfies TRPCRouterRecord;
