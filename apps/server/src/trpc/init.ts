// tRPC setup: superjson, SSE keep-alive, the error formatter and middleware
// (agentrpc errors become tRPC errors here and nowhere else), and procedures.
import { AgentRpcError } from '@agentrpc/core';
import { initTRPC, type TRPCError } from '@trpc/server';
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
  // Stacks stay in the server's logs. Left out rather than set to undefined,
  // so the shape is plain JSON and the transports send it without superjson's walk.
  const { stack: _stack, ...data } = shape.data;
  return {
    ...shape,
    // Internal details stay in the server's logs.
    message: internal ? 'internal error' : readableMessage(error),
    data: {
      ...data,
      agentRpcCode: agentRpcCodeOf(error) ?? null,
      /** Seconds to wait before retrying, for TOO_MANY_REQUESTS. */
      retryAfter: retryAfterOf(error) ?? null,
    },
  };
}) satisfies ErrorFormatter;

/**
 * Not tRPC's dev mode, whatever NODE_ENV says: in it, tRPC formats every
 * error's stack into its shape, which the formatter then leaves out.
 */
const t = initTRPC
  .context<Context>()
  .create({ transformer: superjson, sse, errorFormatter, isDev: false });

/** The same setup, for the server's own SSE and WebSocket transports. */
export const transports = transportConfig({ transformer: superjson, sse, errorFormatter });

export const router = t.router;

/**
 * What a procedure's resolver (and the middleware after this) ended with, its
 * agentrpc errors made tRPC errors. Each kind of procedure has one middleware
 * of its own rather than a chain: tRPC copies its call's options and context
 * at every step, a few µs each, on every run a server starts.
 */
function mapErrors<R extends { ok: boolean; error?: TRPCError }>(result: R): R {
  if (!result.ok && result.error) {
    const { error } = result;
    // tRPC wraps an error it does not know in an INTERNAL_SERVER_ERROR of its
    // own; an agentrpc error gets its code back. One a procedure made with
    // toTRPCError already has it.
    const wrapped = error.code === 'INTERNAL_SERVER_ERROR' && error.cause instanceof AgentRpcError;
    throw wrapped ? toTRPCError(error.cause) : error;
  }
  return result;
}

/** Gives procedures the server's side of the context, which tRPC's type leaves out. */
export const publicProcedure = t.procedure.use(async ({ ctx, next }) => {
  const { services, authError } = ctx as ServerContext;
  return mapErrors(await next({ ctx: { services, authError } }));
});

/** The same, for a known user only, within the user's request rate. */
export const authedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const { services, authError, principal } = ctx as ServerContext;
  if (!principal) {
    throw toTRPCError(authError ?? new AgentRpcError('UNAUTHORIZED', 'authentication required'));
  }
  try {
    services.rateLimiter.take(principal.userId);
  } catch (error) {
    throw toTRPCError(error);
  }
  return mapErrors(await next({ ctx: { services, authError, principal } }));
});
