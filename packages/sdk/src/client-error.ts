// AgentRpcClientError: every failure the client reports, with a stable code.
import { TRPCClientError } from '@trpc/client';

export class AgentRpcClientError extends Error {
  override readonly name = 'AgentRpcClientError';
  /**
   * The tRPC code for a failed call (`NOT_FOUND`, `UNAUTHORIZED`, `BAD_REQUEST`, …),
   * or the run's error code (`PROVIDER_ERROR`, `CANCELLED`, …) for a failed run.
   */
  readonly code: string;
  /** agentrpc's own code behind a failed call, when the server gave one. */
  readonly agentRpcCode?: string;
  readonly runId?: string;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; agentRpcCode?: string; runId?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.agentRpcCode) this.agentRpcCode = options.agentRpcCode;
    if (options.runId) this.runId = options.runId;
  }
}

interface ErrorData {
  code?: string;
  agentRpcCode?: string | null;
}

/** The error for a tRPC error shape (`{ message, data: { code, agentRpcCode } }`) off the wire. */
export function errorFromShape(shape: unknown): AgentRpcClientError {
  const { message, data } = (shape ?? {}) as { message?: string; data?: ErrorData };
  return new AgentRpcClientError(
    data?.code ?? 'INTERNAL_SERVER_ERROR',
    message ?? 'unknown error',
    {
      ...(data?.agentRpcCode ? { agentRpcCode: data.agentRpcCode } : {}),
    },
  );
}

export function toClientError(error: unknown): AgentRpcClientError {
  if (error instanceof AgentRpcClientError) return error;
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ErrorData;
    return new AgentRpcClientError(data.code ?? 'INTERNAL_SERVER_ERROR', error.message, {
      cause: error,
      ...(data.agentRpcCode ? { agentRpcCode: data.agentRpcCode } : {}),
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
