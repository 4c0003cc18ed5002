// Subscriptions over Server-Sent Events, read with fetch in the wire format of
// tRPC's httpSubscriptionLink (`connected`, `id:`/`data:` events, `ping`,
// `return`, `serialized-error`). Reading the body directly, rather than through
// an EventSource and the link, brings the first token about half a millisecond
// sooner. A dropped connection is reopened with backoff and resumes after the
// last event seen (Last-Event-ID); so is one quiet past the server's limit.
import { SseDecoder, type SseEvent } from '@agentrpc/core/wire';
import type { Unsubscribable } from '@trpc/server/observable';
import superjson from 'superjson';
import { AgentRpcClientError, errorFromShape, toClientError } from './client-error.ts';
import {
  clientClosed,
  reconnectDelayMs,
  type SubscribeHandlers,
  type Subscriber,
} from './subscription-iterator.ts';

export interface SseSubscriberOptions {
  /** The tRPC endpoint, e.g. http://localhost:3000/trpc. */
  url: string;
  /** Sent with every connection (carries the credential). */
  headers: () => Promise<Record<string, string>>;
  fetch: typeof globalThis.fetch;
}

/** Reconnect when nothing, not even a ping, came for this long (the server may say otherwise). */
const defaultQuietLimitMs = 25_000;
/** Statuses a gateway answers while the server restarts. */
const transient = new Set([502, 503, 504]);
/** After unsubscribing, how long the response may take to end before it is cut. */
const endGraceMs = 200;

/** How one connection attempt ended. */
type Outcome = 'finished' | 'dropped';

interface Subscription {
  url: string;
  handlers: SubscribeHandlers;
  lastEventId: string | undefined;
  quietLimitMs: number;
  /** Set on unsubscribe: nothing more is delivered. */
  muted: boolean;
  /** Aborted to cut the connection for good. */
  stopped: AbortController;
}

export class SseSubscriber implements Subscriber {
  readonly #options: SseSubscriberOptions;
  readonly #open = new Set<Subscription>();
  #closed = false;

  constructor(options: SseSubscriberOptions) {
    this.#options = options;
  }

  /** Cuts every open subscription; each ends with CLIENT_CLOSED_REQUEST. */
  close(): void {
    this.#closed = true;
    for (const subscription of this.#open) {
      subscription.muted = true;
      subscription.stopped.abort();
      subscription.handlers.onError(clientClosed());
    }
    this.#open.clear();
  }

  subscribe(path: string, input: unknown, handlers: SubscribeHandlers): Unsubscribable {
    if (this.#closed) {
      handlers.onError(clientClosed());
      return { unsubscribe: () => {} };
    }
    const query = `input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
    const subscription: Subscription = {
      url: `${this.#options.url}/${path}?${query}`,
      handlers,
      lastEventId: undefined,
      quietLimitMs: defaultQuietLimitMs,
      muted: false,
      stopped: new AbortController(),
    };
    this.#open.add(subscription);
    void this.#follow(subscription).finally(() => this.#open.delete(subscription));
    return {
      unsubscribe: () => {
        this.#open.delete(subscription);
        if (subscription.muted) return;
        subscription.muted = true;
        // A stream that is ending anyway (its last event was read) is let finish,
        // so its connection can serve the next request; otherwise it is cut soon.
        setTimeout(() => subscription.stopped.abort(), endGraceMs);
      },
    };
  }

  async #follow(subscription: Subscription) {
    const { stopped } = subscription;
    for (let attempt = 0; !stopped.signal.aborted && !subscription.muted; attempt++) {
      const outcome = await this.#connect(subscription).catch((error: unknown): Outcome => {
        if (stopped.signal.aborted || subscription.muted) return 'finished';
        if (error instanceof AgentRpcClientError) {
          subscription.handlers.onError(error);
          return 'finished';
        }
        if (error instanceof SyntaxError) {
          // Reconnecting would read the same garbage again.
          subscription.handlers.onError(
            new AgentRpcClientError('INTERNAL_SERVER_ERROR', `unreadable event: ${error.message}`),
          );
          return 'finished';
        }
        return 'dropped'; // the network failed: try again
      });
      if (outcome === 'finished') return;
      await new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(attempt)));
    }
  }

  async #connect(subscription: Subscription): Promise<Outcome> {
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    subscription.stopped.signal.addEventListener('abort', stop, { once: true });
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const heard = () => {
      clearTimeout(quiet);
      quiet = setTimeout(stop, subscription.quietLimitMs);
    };
    try {
      const headers = {
        ...(await this.#options.headers().catch((error: unknown) => {
          throw toClientError(error);
        })),
        accept: 'text/event-stream',
        ...(subscription.lastEventId ? { 'last-event-id': subscription.lastEventId } : {}),
      };
      heard();
      const response = await this.#options.fetch(subscription.url, {
        headers,
        signal: attempt.signal,
      });
      if (transient.has(response.status)) {
        await response.body?.cancel();
        return 'dropped'; // a proxy or a restarting server: try again
      }
      if (!response.ok || !response.body) throw await refusal(response);
      const reader = response.body.getReader();
      const text = new TextDecoder();
      const decoder = new SseDecoder();
      const events: SseEvent[] = [];
      let outcome: Outcome | undefined;
      for (;;) {
        // Cut after `return` or an error: the subscription is over all the same.
        const read = await reader.read().catch((error: unknown) => {
          if (outcome) return { done: true as const, value: undefined };
          throw error;
        });
        // Ended without `return` or an error: the connection was cut.
        if (read.done) return outcome ?? (subscription.muted ? 'finished' : 'dropped');
        if (outcome) continue; // reading to the end keeps the connection reusable
        heard();
        decoder.push(text.decode(read.value, { stream: true }), events);
        for (const event of events.splice(0)) {
          if (!outcome && !subscription.muted) outcome = deliver(event, subscription);
        }
      }
    } finally {
      clearTimeout(quiet);
      subscription.stopped.signal.removeEventListener('abort', stop);
    }
  }
}

/** Hands one event to the subscriber; says when the subscription is over. */
function deliver(event: SseEvent, subscription: Subscription): Outcome | undefined {
  const { handlers } = subscription;
  switch (event.event) {
    case 'connected': {
      const { reconnectAfterInactivityMs } = JSON.parse(event.data) as {
        reconnectAfterInactivityMs?: number;
      };
      if (reconnectAfterInactivityMs) subscription.quietLimitMs = reconnectAfterInactivityMs;
      return undefined;
    }
    case 'ping':
      return undefined;
    case 'return':
      handlers.onComplete();
      return 'finished';
    case 'serialized-error':
      handlers.onError(errorFromShape(superjson.deserialize(JSON.parse(event.data))));
      return 'finished';
    default: {
      const data = superjson.deserialize(JSON.parse(event.data));
      if (event.id) subscription.lastEventId = event.id;
      handlers.onData(event.id ? { id: event.id, data } : data);
      return undefined;
    }
  }
}

/** The error for a response that is not an event stream (a proxy, or the server refusing outright). */
async function refusal(response: Response): Promise<AgentRpcClientError> {
  const body = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (parsed.error) return errorFromShape(superjson.deserialize(parsed.error as never));
  } catch {
    // not JSON: the status says it all
  }
  return new AgentRpcClientError(
    response.status === 401 ? 'UNAUTHORIZED' : 'INTERNAL_SERVER_ERROR',
    `the server answered ${response.status} to a subscription`,
  );
}
