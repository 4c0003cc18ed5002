// createClient: the typed client for an agentrpc server. Queries and mutations
// go through tRPC's httpLink; subscriptions through an SSE or WebSocket
// subscriber, which reconnects by itself and resumes with lastEventId. Calls
// the server refused before doing anything are tried again when asked
// (`retryRefusals`, refusal-retry.ts).
import type { AppRouter, RunEvent } from '@agentrpc/server';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { AgentRpcClientError } from './client-error.ts';
import type { AgentRpcClient, RunRequest } from './client-types.ts';
import { mutations, subscriptions } from './procedure-kinds.ts';
import {
  checkRetryRefusals,
  type RetryRefusals,
  retryingRefusals,
  retryingSubscribe,
} from './refusal-retry.ts';
import { SseSubscriber } from './sse-subscriber.ts';
import { type Subscriber, subscriptionIterator } from './subscription-iterator.ts';
import { type WebSocketConstructor, WsLinkSubscriber } from './ws-link-subscriber.ts';

export interface ClientOptions {
  /** The server's base URL, e.g. http://localhost:3000 (tRPC lives at /trpc). */
  url: string;
  apiKey?: string;
  /** Called for each request/connection; use it for expiring tokens. */
  getToken?: () => string | Promise<string>;
  /** Subscriptions over Server-Sent Events (default) or a WebSocket. */
  transport?: 'sse' | 'ws';
  headers?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  /**
   * The WebSocket implementation for `transport: 'ws'` where the runtime has no
   * global one (Node 20: pass `WebSocket` from the `ws` package).
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Tries a call again, after the Retry-After the server sent, when the server
   * refused it with TOO_MANY_REQUESTS before doing anything: a saturated
   * server refusing new runs, or a limit reached. A stream is tried again only
   * if the refusal came before its first event. Off unless given; for example
   * `{ maxRetries: 2 }` waits for the server twice before the refusal is thrown.
   */
  retryRefusals?: RetryRefusals;
}

type AnyTRPCClient = Record<
  string,
  Record<
    string,
    {
      query: (input: unknown, opts?: { signal?: AbortSignal }) => Promise<unknown>;
      mutate: (input: unknown, opts?: { signal?: AbortSignal }) => Promise<unknown>;
    }
  >
>;

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/** The WebSocket to use: the one given, else the runtime's, else a clear error now. */
function webSocketOf(options: ClientOptions): WebSocketConstructor {
  const found =
    options.WebSocket ??
    (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
    undefined;
  if (!found) {
    throw new AgentRpcClientError(
      'WEBSOCKET_UNAVAILABLE',
      "transport 'ws' needs a WebSocket: this runtime has none, so pass one as createClient({ WebSocket }) (in Node 20, from the ws package), or use transport 'sse'",
    );
  }
  return found;
}

export function createClient(options: ClientOptions): AgentRpcClient {
  checkRetryRefusals(options.retryRefusals);
  const base = options.url.replace(/\/+$/, '');
  const trpcUrl = `${base}/trpc`;
  // Called bare, not as window.fetch: browsers refuse a fetch whose `this` is not the window.
  const fetchImpl: typeof globalThis.fetch =
    options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const authorization = async (): Promise<string | undefined> => {
    const token = options.getToken ? await options.getToken() : options.apiKey;
    return token ? `Bearer ${token}` : undefined;
  };
  const headers = async (): Promise<Record<string, string>> => {
    const auth = await authorization();
    return { ...options.headers, ...(auth ? { authorization: auth } : {}) };
  };

  const subscriber: Subscriber =
    options.transport === 'ws'
      ? new WsLinkSubscriber({
          url: trpcUrl.replace(/^http/, 'ws'),
          WebSocket: webSocketOf(options),
          connectionParams: async (): Promise<Record<string, string>> => {
            const auth = await authorization();
            return auth ? { authorization: auth } : {};
          },
        })
      : new SseSubscriber({ url: trpcUrl, headers, fetch: fetchImpl });
  /** Aborted by close(): ends calls waiting to be tried again. */
  const closing = new AbortController();
  const trpc = createTRPCClient<AppRouter>({
    links: [httpLink({ url: trpcUrl, transformer: superjson, headers, fetch: fetchImpl })],
  }) as unknown as AnyTRPCClient;

  const call = (path: string) => {
    const [domain = '', name = ''] = path.split('.');
    const procedure = trpc[domain]?.[name];
    if (!procedure) throw new AgentRpcClientError('NOT_FOUND', `no procedure ${path}`);
    if (subscriptions.has(path)) {
      return (
        input: Record<string, unknown>,
        opts: { signal?: AbortSignal; lastEventId?: string } = {},
      ) => {
        const body =
          path === 'runs.stream' && !input.runId ? { ...input, runId: randomId() } : input;
        const withResume = opts.lastEventId ? { ...body, lastEventId: opts.lastEventId } : body;
        return subscriptionIterator(
          retryingSubscribe(
            (handlers) => subscriber.subscribe(path, withResume, handlers),
            options.retryRefusals,
            closing.signal,
          ),
          opts.signal,
        );
      };
    }
    const kind = mutations.has(path) ? 'mutate' : 'query';
    return (input?: unknown) =>
      retryingRefusals(() => procedure[kind](input), options.retryRefusals, closing.signal);
  };

  const domains = new Map<string, Record<string, unknown>>();
  const client = {
    async run(input: RunRequest, opts: { signal?: AbortSignal } = {}) {
      const stream = call('runs.stream') as (
        i: RunRequest,
        o: { signal?: AbortSignal },
      ) => AsyncIterable<RunEvent>;
      for await (const event of stream(input, opts)) {
        if (event.type === 'run.completed' || event.type === 'run.paused') return event.output;
        if (event.type === 'run.error') {
          throw new AgentRpcClientError(event.code, event.message, { runId: event.runId });
        }
        if (event.type === 'run.cancelled') {
          throw new AgentRpcClientError('CANCELLED', 'the run was cancelled', {
            runId: event.runId,
          });
        }
      }
      throw new AgentRpcClientError(
        'CLIENT_CLOSED_REQUEST',
        'the run stream ended before the run did',
      );
    },
    close: () => {
      closing.abort();
      subscriber.close();
    },
  };
  return new Proxy(client, {
    get(target, domain: string) {
      if (domain in target) return target[domain as keyof typeof target];
      let methods = domains.get(domain);
      if (!methods) {
        methods = new Proxy({}, { get: (_, name: string) => call(`${domain}.${name}`) });
        domains.set(domain, methods);
      }
      return methods;
    },
  }) as unknown as AgentRpcClient;
}
