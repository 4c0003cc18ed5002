// Failures as OpenAI's clients expect them: `{ error: { message, type, param,
// code } }` with the HTTP status their retry logic keys on (429 with
// Retry-After, 5xx for the provider, 4xx for the request).
import type { ServerResponse } from 'node:http';
import { type ErrorCode, toAgentRpcError } from '@agentrpc/core';

export interface OpenAIError {
  status: number;
  message: string;
  type: string;
  code: string | null;
  param?: string | null;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
}

const statusOf: Record<ErrorCode, [number, string]> = {
  BAD_INPUT: [400, 'invalid_request_error'],
  BAD_OUTPUT: [502, 'api_error'],
  NOT_FOUND: [404, 'invalid_request_error'],
  CONFLICT: [409, 'invalid_request_error'],
  UNAUTHORIZED: [401, 'authentication_error'],
  FORBIDDEN: [403, 'permission_error'],
  PROVIDER_ERROR: [502, 'api_error'],
  PROVIDER_TIMEOUT: [504, 'api_error'],
  RATE_LIMITED: [429, 'rate_limit_error'],
  TOOL_ERROR: [500, 'api_error'],
  STORE_ERROR: [503, 'api_error'],
  CANCELLED: [499, 'api_error'],
  INTERRUPTED: [503, 'api_error'],
  SHUTDOWN: [503, 'api_error'],
  RUN_TIMEOUT: [504, 'api_error'],
  INTERNAL: [500, 'api_error'],
};

/** Any failure as an OpenAI error; internal details stay in the server's logs. */
export function toOpenAIError(error: unknown): OpenAIError {
  const failure = toAgentRpcError(error);
  const [status, type] = statusOf[failure.code];
  return {
    status,
    type,
    code: failure.code === 'RATE_LIMITED' ? 'rate_limit_exceeded' : failure.code.toLowerCase(),
    message: failure.code === 'INTERNAL' ? 'internal error' : failure.message,
    ...(failure.retryAfter !== undefined ? { retryAfter: failure.retryAfter } : {}),
  };
}

/** The error's JSON body, as sent on its own or inside a stream's `data:` event. */
export function errorBody(error: OpenAIError) {
  return {
    error: {
      message: error.message,
      type: error.type,
      param: error.param ?? null,
      code: error.code,
    },
  };
}

export function sendOpenAIError(res: ServerResponse, error: OpenAIError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(error.status, {
    'content-type': 'application/json',
    ...(error.retryAfter !== undefined
      ? { 'retry-after': String(Math.ceil(error.retryAfter)) }
      : {}),
  });
  res.end(JSON.stringify(errorBody(error)));
}
