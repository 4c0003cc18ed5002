// Subscriptions over one WebSocket with tRPC's own wsLink: it sends the
// credential as connection params, pings a quiet connection, reconnects with
// backoff and resumes each subscription after the last event id it saw, and
// follows the server's `reconnect` notice on shutdown. (A hand-written
// subscriber was measured against it and was under 1 ms sooner: bench/RESULTS.md.)
import type { AppRouter } from '@agentrpc/server';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { Unsubscribable } from '@trpc/server/observable';
import superjson from 'superjson';
import { toClientError } from './client-error.ts';
import {
  clientClosed,
  reconnectDelayMs,
  type SubscribeHandlers,
  type Subscriber,
} from './subscription-iterator.ts';

/** What the client needs of a WebSocket: the browser's, Node's global one, or the ws package's. */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface WsLinkSubscriberOptions {
  /** The tRPC WebSocket endpoint, e.g. ws://localhost:3000/trpc. */
  url: string;
  WebSocket: WebSocketConstructor;
  /** Sent once per connection, before any request (carries the credential). */
  connectionParams: () => Promise<Record<string, string>>;
}

type SubscribeProcedure = {
  subscribe(
    input: unknown,
    handlers: {
      onData(value: unknown): void;
      onError(error: unknown): void;
      onComplete(): void;
    },
  ): Unsubscribable;
};

interface OpenSubscription {
  handlers: SubscribeHandlers;
  subscription: Unsubscribable;
  /** Marks it ended; false when it already was. */
  end: () => boolean;
}

/** How long an idle connection stays open for the next subscription. */
const idleCloseMs = 60_000;

export class WsLinkSubscriber implements Subscriber {
  readonly #socket: ReturnType<typeof createWSClient>;
  readonly #client: Record<string, Record<string, SubscribeProcedure>>;
  readonly #open = new Set<OpenSubscription>();
  #closed = false;

  constructor(options: WsLinkSubscriberOptions) {
    this.#socket = createWSClient({
      url: options.url,
      WebSocket: options.WebSocket as unknown as typeof WebSocket,
      connectionParams: options.connectionParams,
      // Opened by the first subscription, not by creating the client.
      lazy: { enabled: true, closeMs: idleCloseMs },
      keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
      retryDelayMs: reconnectDelayMs,
    });
    this.#client = createTRPCClient<AppRouter>({
      links: [wsLink({ client: this.#socket, transformer: superjson })],
    }) as unknown as Record<string, Record<string, SubscribeProcedure>>;
  }

  subscribe(path: string, input: unknown, handlers: SubscribeHandlers): Unsubscribable {
    if (this.#closed) {
      handlers.onError(clientClosed());
      return { unsubscribe: () => {} };
    }
    const [domain = '', name = ''] = path.split('.');
    const procedure = this.#client[domain]?.[name] as SubscribeProcedure;
    // Nothing reaches the handlers once the subscription has ended one way or another.
    let ended = false;
    const end = () => {
      if (ended) return false;
      ended = true;
      this.#open.delete(entry);
      return true;
    };
    const entry: OpenSubscription = { handlers, end, subscription: { unsubscribe: () => {} } };
    entry.subscription = procedure.subscribe(input, {
      onData: (value) => {
        if (!ended) handlers.onData(value);
      },
      onError: (error) => {
        if (end()) handlers.onError(toClientError(error));
      },
      onComplete: () => {
        if (end()) handlers.onComplete();
      },
    });
    if (!ended) this.#open.add(entry);
    return {
      unsubscribe: () => {
        end();
        entry.subscription.unsubscribe();
      },
    };
  }

  /** Closes the connection; subscriptions still open end with CLIENT_CLOSED_REQUEST. */
  close(): void {
    this.#closed = true;
    for (const { handlers, end, subscription } of [...this.#open]) {
      // Ended first: unsubscribing completes the link's observable, which would end it quietly.
      if (end()) handlers.onError(clientClosed());
      subscription.unsubscribe();
    }
    void this.#socket.close();
  }
}
