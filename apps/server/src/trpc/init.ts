// tRPC setup: superjson, SSE keep-alive, the error formatter and middleware
// (agentrpc errors become tRPC errors here and nowhere else), and procedures.
import { AgentRpcError } from '@agentrpc/core';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { type ErrorFormatter, transportConfig } from '../http/transport-config.ts';
import type { Context, ServerContext } from './context.ts';
import { agentRpcCodeOf, readableMessage, retryAfterOf, toTRPCError } from './error-codes.ts';

const sse = {
  ping: { enabled: true, intervalMs: 10_000 },
  client: { reconnectAfterInactivityMs: 25_000 },
};

const errorFormatter = (({ shape, error }) => {
  const internal = error.code === 'INTERNAL_SERVER_ERROR';
  return {
    ...shape,
    // Internal details stay in the server's logs.
    message: internal ? 'internal error' : readableMessage(error),
    data: {
      ...shape.data,
      stack: undefined,
      agentRpcCode: agentRpcCodeOf(error) ?? null,
      /** Seconds to wait before retrying, for TOO_MANY_REQUESTS. */
      retryAfter: retryAfterOf(error) ?? null,
    },
  };
}) satisfies ErrorFormatter;

const t = initTRPC.context<Context>().create({ transformer: superjson, sse, errorFormatter });

/** The same setup, for the server's own SSE and WebSocket transports. */
export const transports = transportConfig({ transformer: superjson, sse, errorFormatter });

export const router = t.router;

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok)
    throw toTRPCError(
      result.error.cause instanceof AgentRpcError ? result.error.cause : result.error,
    );
  return result;
});

/** Gives procedures the server's side of the context, which tRPC's type leaves out. */
const withServices = t.middleware(({ ctx, next }) => {
  const { services, authError } = ctx as ServerContext;
  return next({ ctx: { services, authError } });
});

export const publicProcedure = t.procedure.use(mapErrors).use(withServices);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) {
    throw ctx.authError ?? new AgentRpcError('UNAUTHORIZED', 'authentication required');
  }
  ctx.services.rateLimiter.take(ctx.principal.userId);
  return next({ ctx: { principal: ctx.principal } });
});
