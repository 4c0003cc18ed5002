// One error class for the whole runtime: a stable `code` that callers and the
// server branch on, and a message a user can act on.

export const errorCodes = [
  'BAD_INPUT',
  'BAD_OUTPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PROVIDER_ERROR',
  'PROVIDER_TIMEOUT',
  'RATE_LIMITED',
  'TOOL_ERROR',
  'STORE_ERROR',
  'CANCELLED',
  'INTERRUPTED',
  'SHUTDOWN',
  'RUN_TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface AgentRpcErrorOptions {
  cause?: unknown;
  /** HTTP status the provider answered with, when the error came from one. */
  status?: number;
  /** Seconds to wait before retrying, when known. */
  retryAfter?: number;
  /** The run that failed, when the error ended one. */
  runId?: string;
}

export class AgentRpcError extends Error {
  override readonly name = 'AgentRpcError';
  readonly code: ErrorCode;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly runId?: string;

  constructor(code: ErrorCode, message: string, options: AgentRpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.runId !== undefined) this.runId = options.runId;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isAgentRpcError(error: unknown, code?: ErrorCode): error is AgentRpcError {
  return error instanceof AgentRpcError && (code === undefined || error.code === code);
}

/**
 * Makes an error without capturing a stack trace: for errors that are an
 * expected answer rather than a fault (a refusal under load, a wrapper whose
 * cause keeps the stack that matters). Capturing one walks the whole call
 * stack, and a saturated server refuses hundreds of runs a second.
 */
export function withoutStackTrace<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Wraps anything thrown into an AgentRpcError, keeping the original as `cause`. */
export function toAgentRpcError(error: unknown, fallback: ErrorCode = 'INTERNAL'): AgentRpcError {
  if (error instanceof AgentRpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentRpcError(fallback, message, { cause: error });
}
