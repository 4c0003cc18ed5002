// Trying a call again after the server refused it before doing anything: a
// TOO_MANY_REQUESTS with a Retry-After, which a saturated server answers new
// runs with, and so does a limit reached. createClient's `retryRefusals`
// turns it on; without it the refusal is thrown at once, for callers that
// would rather go to another instance than wait.
import type { Unsubscribable } from '@trpc/server/observable';
import { type AgentRpcClientError, toClientError } from './client-error.ts';
import { clientClosed, type SubscribeHandlers } from './subscription-iterator.ts';

export interface RetryRefusals {
  /** Times a refused call is tried again before its refusal is thrown. */
  maxRetries: number;
  /** The longest Retry-After waited for, in ms; a refusal asking more is thrown (default 10,000). */
  maxWaitMs?: number;
}

const defaultMaxWaitMs = 10_000;

/** Throws a RangeError for options no call could follow (a count or wait below 0, or not a number). */
export function checkRetryRefusals(options: RetryRefusals | undefined): void {
  if (!options) return;
  if (!(options.maxRetries >= 0)) {
    throw new RangeError(`retryRefusals.maxRetries must be 0 or more, not ${options.maxRetries}`);
  }
  if (options.maxWaitMs !== undefined && !(options.maxWaitMs >= 0)) {
    throw new RangeError(`retryRefusals.maxWaitMs must be 0 or more, not ${options.maxWaitMs}`);
  }
}

/**
 * How long to wait before trying again after `error`, the refusal of attempt
 * `attempt` (0 for the first); undefined when it is not tried again.
 */
export function refusalWaitMs(
  error: AgentRpcClientError,
  attempt: number,
  options: RetryRefusals,
): number | undefined {
  if (!(attempt < options.maxRetries)) return undefined;
  if (error.code !== 'TOO_MANY_REQUESTS' || error.retryAfter === undefined) return undefined;
  const waitMs = error.retryAfter * 1000;
  if (waitMs > (options.maxWaitMs ?? defaultMaxWaitMs)) return undefined;
  // Up to a quarter more, so clients refused together do not all come back together.
  return waitMs * (1 + Math.random() / 4);
}

/**
 * Calls `then.done` after `ms`, or `then.closed` at once when `closed` aborts
 * first; the returned function cancels the wait, calling neither.
 */
function waitOut(
  ms: number,
  closed: AbortSignal | undefined,
  then: { done: () => void; closed: () => void },
): () => void {
  const cancel = () => {
    clearTimeout(timer);
    closed?.removeEventListener('abort', onClosed);
  };
  const onClosed = () => {
    cancel();
    then.closed();
  };
  const timer = setTimeout(() => {
    cancel();
    then.done();
  }, ms);
  if (closed?.aborted) onClosed();
  else closed?.addEventListener('abort', onClosed, { once: true });
  return cancel;
}

/**
 * Calls `call`, and again after each refusal `options` allows waiting out;
 * `closed` (the client closing) ends the waiting with CLIENT_CLOSED_REQUEST.
 */
export async function retryingRefusals<T>(
  call: () => Promise<T>,
  options: RetryRefusals | undefined,
  closed?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = toClientError(error);
      const waitMs = options && refusalWaitMs(failure, attempt, options);
      if (waitMs === undefined) throw failure;
      await new Promise<void>((resolve, reject) => {
        waitOut(waitMs, closed, { done: resolve, closed: () => reject(clientClosed()) });
      });
    }
  }
}

type Subscribe = (handlers: SubscribeHandlers) => Unsubscribable;

/**
 * `subscribe`, subscribing again after a refusal that came before any event
 * (once events came, the subscription was taken, and its failures are the
 * caller's). Unsubscribing while it waits ends the waiting too; `closed`
 * (the client closing) ends it with CLIENT_CLOSED_REQUEST.
 */
export function retryingSubscribe(
  subscribe: Subscribe,
  options: RetryRefusals | undefined,
  closed?: AbortSignal,
): Subscribe {
  if (!options?.maxRetries) return subscribe;
  return (handlers) => {
    let current: Unsubscribable | undefined;
    let stopped = false;
    let cancelWait: (() => void) | undefined;
    let attempt = 0;
    const start = () => {
      let delivered = false;
      current = subscribe({
        onData: (value) => {
          delivered = true;
          handlers.onData(value);
        },
        onComplete: () => handlers.onComplete(),
        onError: (error) => {
          const failure = toClientError(error);
          const waitMs = delivered ? undefined : refusalWaitMs(failure, attempt, options);
          if (waitMs === undefined || stopped) {
            handlers.onError(failure);
            return;
          }
          attempt++;
          cancelWait = waitOut(waitMs, closed, {
            done: start,
            closed: () => handlers.onError(clientClosed()),
          });
        },
      });
    };
    start();
    return {
      unsubscribe: () => {
        stopped = true;
        cancelWait?.();
        current?.unsubscribe();
      },
    };
  };
}
