// Turns a tRPC subscription into an async iterator of run events that ends
// after the terminal event and stops on break or an AbortSignal.
import { isTerminalEvent } from '@agentrpc/core/wire';
import type { RunEvent } from '@agentrpc/server';
import type { Unsubscribable } from '@trpc/server/observable';
import { AgentRpcClientError, toClientError } from './client-error.ts';

export interface SubscribeHandlers {
  onData: (value: unknown) => void;
  onError: (error: unknown) => void;
  onComplete: () => void;
}

/**
 * Backoff between attempts to reconnect: up to 100 ms, doubling, at most 5 s,
 * each wait drawn from the upper half of that, so that the clients of a server
 * that restarts do not all come back in the same instant.
 */
export const reconnectDelayMs = (attempt: number) => {
  const ceiling = Math.min(100 * 2 ** attempt, 5_000);
  return ceiling / 2 + Math.random() * (ceiling / 2);
};

/** What a subscription ends with once its client is closed. */
export const clientClosed = () =>
  new AgentRpcClientError('CLIENT_CLOSED_REQUEST', 'the client is closed');

/** A transport for subscriptions (SSE or WebSocket). */
export interface Subscriber {
  subscribe(path: string, input: unknown, handlers: SubscribeHandlers): Unsubscribable;
  /** Ends open subscriptions with CLIENT_CLOSED_REQUEST and refuses new ones. */
  close(): void;
}

export function subscriptionIterator(
  subscribe: (handlers: SubscribeHandlers) => Unsubscribable,
  signal?: AbortSignal,
): AsyncIterableIterator<RunEvent> {
  const buffer: RunEvent[] = [];
  let waiting:
    | { resolve: (r: IteratorResult<RunEvent>) => void; reject: (e: unknown) => void }
    | undefined;
  let finished = false;
  let failure: unknown;

  const settle = () => {
    if (!waiting) return;
    const w = waiting;
    if (buffer.length) {
      waiting = undefined;
      w.resolve({ value: buffer.shift() as RunEvent, done: false });
    } else if (failure !== undefined) {
      waiting = undefined;
      w.reject(failure);
    } else if (finished) {
      waiting = undefined;
      w.resolve({ value: undefined, done: true });
    }
  };
  let subscription: Unsubscribable | undefined;
  const stop = () => {
    finished = true;
    subscription?.unsubscribe();
    signal?.removeEventListener('abort', abort);
    settle();
  };
  // An abort stops at once: events that arrived but were not read are dropped.
  function abort() {
    buffer.length = 0;
    stop();
  }
  subscription = subscribe({
    onData: (value) => {
      if (finished) return;
      // tracked() events arrive as { id, data }.
      const event = (
        value && typeof value === 'object' && 'data' in value ? value.data : value
      ) as RunEvent;
      buffer.push(event);
      // A pause ends the stream only when the server ends it: read from its start,
      // a run that was continued goes on past its pause to its final end.
      if (isTerminalEvent(event) && event.type !== 'run.paused') stop();
      settle();
    },
    onError: (error) => {
      if (finished) return;
      failure = toClientError(error);
      stop();
    },
    onComplete: () => stop(),
  });
  if (signal?.aborted) abort();
  else if (finished) stop();
  signal?.addEventListener('abort', abort, { once: true });

  return {
    next: () =>
      new Promise<IteratorResult<RunEvent>>((resolve, reject) => {
        waiting = { resolve, reject };
        settle();
      }),
    return: async () => {
      stop();
      buffer.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
