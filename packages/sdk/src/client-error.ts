// AgentRpcClientError: every failure the client reports, with a stable code.
import type { ErrorCode } from '@agentrpc/core';
import { TRPCClientError } from '@trpc/client';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';

/** Failures found on the client's side, before or without an answer from the server. */
export type ClientSideCode = 'WEBSOCKET_UNAVAILABLE';

/**
 * A tRPC code for a failed call (`NOT_FOUND`, `UNAUTHORIZED`, `TOO_MANY_REQUESTS`, …),
 * a run's error code for a failed run (`PROVIDER_ERROR`, `CANCELLED`, …), or a
 * client-side code.
 */
export type AgentRpcClientErrorCode = TRPC_ERROR_CODE_KEY | ErrorCode | ClientSideCode;

export interface AgentRpcClientErrorOptions {
  cause?: unknown;
  agentRpcCode?: ErrorCode;
  runId?: string;
  retryAfter?: number;
}

export class AgentRpcClientError extends Error {
  override readonly name = 'AgentRpcClientError';
  readonly code: AgentRpcClientErrorCode;
  /** agentrpc's own code behind a failed call, when the server gave one. */
  readonly agentRpcCode?: ErrorCode;
  readonly runId?: string;
  /** Seconds the server asked to wait before trying again (with TOO_MANY_REQUESTS). */
  readonly retryAfter?: number;

  constructor(
    code: AgentRpcClientErrorCode,
    message: string,
    options: AgentRpcClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.agentRpcCode) this.agentRpcCode = options.agentRpcCode;
    if (options.runId) this.runId = options.runId;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

interface ErrorData {
  code?: TRPC_ERROR_CODE_KEY;
  agentRpcCode?: ErrorCode | null;
  retryAfter?: number | null;
}

/** The parts of the server's error data a client acts on. */
function detailsOf(data: ErrorData | undefined): AgentRpcClientErrorOptions {
  return {
    ...(data?.agentRpcCode ? { agentRpcCode: data.agentRpcCode } : {}),
    ...(typeof data?.retryAfter === 'number' ? { retryAfter: data.retryAfter } : {}),
  };
}

/** The error for a tRPC error shape (`{ message, data: { code, agentRpcCode } }`) off the wire. */
export function errorFromShape(shape: unknown): AgentRpcClientError {
  const { message, data } = (shape ?? {}) as { message?: string; data?: ErrorData };
  return new AgentRpcClientError(
    data?.code ?? 'INTERNAL_SERVER_ERROR',
    message ?? 'unknown error',
    detailsOf(data),
  );
}

export function toClientError(error: unknown): AgentRpcClientError {
  if (error instanceof AgentRpcClientError) return error;
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ErrorData;
    return new AgentRpcClientError(data.code ?? 'INTERNAL_SERVER_ERROR', error.message, {
      cause: error,
      ...detailsOf(data),
    });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new AgentRpcClientError('CLIENT_CLOSED_REQUEST', 'aborted', { cause: error });
  }
  return new AgentRpcClientError(
    'INTERNAL_SERVER_ERROR',
    error instanceof Error ? error.message : String(error),
    { cause: error },
  );
}
