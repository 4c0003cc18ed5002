// The context of each call, from its credential, for every transport. Failed
// credentials are counted per client address: past the budget an address gets
// RATE_LIMITED instead of another UNAUTHORIZED, so guessing keys is slow and a
// flood of anonymous calls costs a token bucket, not the log.
import type { IncomingMessage } from 'node:http';
import { AgentRpcError } from '@agentrpc/core';
import type { TRPCError } from '@trpc/server';
import { createContext, type ServerContext, type Services } from '../trpc/context.ts';
import { toTRPCError } from '../trpc/error-codes.ts';
import { RateLimiter } from './rate-limiter.ts';

export type CredentialSource = Parameters<typeof createContext>[1];

export interface CallerContexts {
  /** The context of a call; a refused credential is in `authError`, for procedures to answer. */
  contextFor(req: IncomingMessage, source: CredentialSource): Promise<ServerContext>;
  /** The context of an authenticated caller; throws the refusal as a tRPC error. */
  authenticated(
    req: IncomingMessage,
    connectionParams: Record<string, string | undefined> | null,
  ): Promise<ServerContext>;
}

export function callerContexts(
  services: Services,
  onUser: (req: IncomingMessage, userId: string | undefined) => void,
): CallerContexts {
  const failures = new RateLimiter({ perMinute: services.limits.authFailuresPerMinute });
  const contextFor = async (req: IncomingMessage, source: CredentialSource) => {
    const context = await createContext(services, source);
    onUser(req, context.principal?.userId);
    if (context.principal) return context;
    try {
      failures.take(`address:${req.socket.remoteAddress ?? 'unknown'}`);
    } catch (limited) {
      return { ...context, authError: limited as AgentRpcError };
    }
    return context;
  };
  return {
    contextFor,
    async authenticated(req, connectionParams) {
      const context = await contextFor(req, {
        authorization: req.headers.authorization,
        connectionParams,
      });
      if (context.principal) return context;
      const refusal: TRPCError = toTRPCError(
        context.authError ?? new AgentRpcError('UNAUTHORIZED', 'authentication required'),
      );
      throw refusal;
    },
  };
}
