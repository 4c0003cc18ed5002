// The one place where agentrpc error codes become tRPC error codes.
import { AgentRpcError, type ErrorCode } from '@agentrpc/core';
import { withoutStackTrace } from '@agentrpc/core/internal';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';

type TRPCCode = TRPCError['code'];

const codes: Record<ErrorCode, TRPCCode> = {
  BAD_INPUT: 'BAD_REQUEST',
  BAD_OUTPUT: 'UNPROCESSABLE_CONTENT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  PROVIDER_ERROR: 'BAD_GATEWAY',
  PROVIDER_TIMEOUT: 'GATEWAY_TIMEOUT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  TOOL_ERROR: 'UNPROCESSABLE_CONTENT',
  STORE_ERROR: 'SERVICE_UNAVAILABLE',
  CANCELLED: 'CLIENT_CLOSED_REQUEST',
  INTERRUPTED: 'SERVICE_UNAVAILABLE',
  SHUTDOWN: 'SERVICE_UNAVAILABLE',
  RUN_TIMEOUT: 'TIMEOUT',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof AgentRpcError) {
    // Its stack would only point here; the cause keeps the one that matters.
    const code = codes[error.code];
    return withoutStackTrace(() => new TRPCError({ code, message: error.message, cause: error }));
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: error });
}

/** The retry hint (seconds) behind a tRPC error, when there is one. */
export function retryAfterOf(error: TRPCError): number | undefined {
  return error.cause instanceof AgentRpcError ? error.cause.retryAfter : undefined;
}

/** The agentrpc code behind a tRPC error, for the error formatter. */
export function agentRpcCodeOf(error: TRPCError): ErrorCode | undefined {
  return error.cause instanceof AgentRpcError ? error.cause.code : undefined;
}

/** What went wrong, in words a person reads: input validation errors as a list, not zod's JSON. */
export function readableMessage(error: TRPCError): string {
  return error.cause instanceof z.ZodError ? z.prettifyError(error.cause) : error.message;
}
