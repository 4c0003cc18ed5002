// Maps whatever the openai SDK or the network throws into an AgentRpcError
// whose code says what happened and whose message says what to do.
import OpenAI from 'openai';
import { AgentRpcError } from '../errors.ts';

function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms / 1000;
  const seconds = Number(headers?.get('retry-after'));
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export function toProviderError(error: unknown, provider: string): AgentRpcError {
  if (error instanceof AgentRpcError) return error;
  if (error instanceof OpenAI.APIUserAbortError) {
    return new AgentRpcError('CANCELLED', 'The run was cancelled', { cause: error });
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new AgentRpcError(
      'PROVIDER_TIMEOUT',
      `${provider} did not answer in time; retry, or raise the model's timeout`,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new AgentRpcError(
      'PROVIDER_ERROR',
      `Could not reach ${provider}: ${error.message}; check the model's baseURL and network`,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const detail = error.message;
    if (status === 429) {
      const retryAfter = retryAfterSeconds(error.headers);
      return new AgentRpcError('RATE_LIMITED', `${provider} rate limit reached: ${detail}`, {
        cause: error,
        status,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      });
    }
    const hint =
      status === 401 || status === 403
        ? '; check the API key'
        : status === 404
          ? '; check the model id and baseURL'
          : '';
    return new AgentRpcError('PROVIDER_ERROR', `${provider} answered ${status}: ${detail}${hint}`, {
      cause: error,
      ...(status === undefined ? {} : { status }),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AgentRpcError('PROVIDER_ERROR', `${provider} stream failed: ${message}`, {
    cause: error,
  });
}
