// Subscriptions over one WebSocket, in tRPC's WebSocket protocol. tRPC's own
// wsLink holds each request back for a timer tick to batch it with others; a
// run stream is a single request, so here it goes out at once, which brings the
// first token about a millisecond sooner. A dropped connection is reopened with
// backoff, and each subscription resumes after the last event it saw.
import type { Unsubscribable } from '@trpc/server/observable';
import superjson from 'superjson';
import { type AgentRpcClientError, errorFromShape, toClientError } from './client-error.ts';
import {
  clientClosed,
  reconnectDelayMs,
  type SubscribeHandlers,
  type Subscriber,
} from './subscription-iterator.ts';

/** What the subscriber needs of a WebSocket: the browser's, Node's global one, or the ws package's. */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** WebSocket.readyState values, the same in every implementation. */
const CONNECTING = 0;
const OPEN = 1;

export interface WsSubscriberOptions {
  /** The tRPC WebSocket endpoint, e.g. ws://localhost:3000/trpc. */
  url: string;
  WebSocket: WebSocketConstructor;
  /** Sent once per connection, before any request (carries the credential). */
  connectionParams: () => Promise<Record<string, string>>;
}

interface Subscription {
  path: string;
  input: unknown;
  /** The tracked id of the last event delivered, to resume after it. */
  lastEventId: string | undefined;
  handlers: SubscribeHandlers;
}

interface ServerMessage {
  id?: number | string | null;
  method?: string;
  result?: { type: 'started' | 'data' | 'stopped'; id?: string; data?: unknown };
  error?: unknown;
}

const pingAfterQuietMs = 10_000;
const pongTimeoutMs = 5_000;

/** Lets a timer not hold a Node process open (browsers have no unref). */
function detached(timer: ReturnType<typeof setTimeout>) {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

export class WsSubscriber implements Subscriber {
  readonly #options: WsSubscriberOptions;
  readonly #subscriptions = new Map<number, Subscription>();
  #nextId = 0;
  #socket: WebSocket | undefined;
  /** True once the socket is open and its connection params are sent. */
  #ready = false;
  #attempt = 0;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: WsSubscriberOptions) {
    this.#options = options;
  }

  subscribe(path: string, input: unknown, handlers: SubscribeHandlers): Unsubscribable {
    if (this.#closed) {
      handlers.onError(clientClosed());
      return { unsubscribe: () => {} };
    }
    const id = ++this.#nextId;
    const subscription: Subscription = { path, input, lastEventId: undefined, handlers };
    this.#subscriptions.set(id, subscription);
    if (this.#ready) this.#request(id, subscription);
    else void this.#connect();
    return {
      unsubscribe: () => {
        if (this.#subscriptions.delete(id) && this.#ready) {
          this.#socket?.send(JSON.stringify({ id, method: 'subscription.stop' }));
        }
      },
    };
  }

  /** Closes the connection; subscriptions still open end with CLIENT_CLOSED_REQUEST. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#drop();
    this.#failAll(clientClosed());
  }

  async #connect(): Promise<void> {
    if (this.#socket || this.#closed) return;
    let socket: WebSocket;
    let params: Record<string, string>;
    try {
      socket = new this.#options.WebSocket(`${this.#options.url}?connectionParams=1`);
      this.#socket = socket;
      params = await this.#options.connectionParams();
    } catch (error) {
      this.#drop();
      this.#failAll(toClientError(error));
      return;
    }
    const open = () => {
      if (this.#socket !== socket) return;
      socket.send(JSON.stringify({ method: 'connectionParams', data: params }));
      this.#ready = true;
      this.#keepAlive();
      for (const [id, subscription] of this.#subscriptions) this.#request(id, subscription);
    };
    if (socket.readyState === OPEN) open();
    else socket.onopen = open;
    socket.onmessage = (event) => this.#receive(String(event.data));
    socket.onclose = () => {
      if (this.#socket === socket) this.#lost();
    };
  }

  #request(id: number, subscription: Subscription) {
    const params = {
      path: subscription.path,
      input: superjson.serialize(subscription.input),
      ...(subscription.lastEventId ? { lastEventId: subscription.lastEventId } : {}),
    };
    this.#socket?.send(JSON.stringify({ id, method: 'subscription', params }));
  }

  #receive(text: string) {
    this.#attempt = 0;
    this.#keepAlive();
    if (text === 'PING') {
      this.#socket?.send('PONG');
      return;
    }
    if (text === 'PONG') return;
    const parsed = JSON.parse(text) as ServerMessage | ServerMessage[];
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) this.#handle(message);
  }

  #handle(message: ServerMessage) {
    if (message.method === 'reconnect') {
      // The server is going away (a deploy): resume on a fresh connection.
      this.#lost();
      return;
    }
    const id = Number(message.id);
    const subscription = this.#subscriptions.get(id);
    if (!subscription) {
      // An error for no request is about the connection, so every subscription hears it.
      if (message.id === null && message.error) this.#failAll(this.#errorOf(message.error));
      return;
    }
    if (message.error) {
      this.#subscriptions.delete(id);
      subscription.handlers.onError(this.#errorOf(message.error));
      return;
    }
    const result = message.result;
    if (result?.type === 'data') {
      if (result.id) subscription.lastEventId = result.id;
      subscription.handlers.onData(superjson.deserialize(result.data as never));
    } else if (result?.type === 'stopped') {
      this.#subscriptions.delete(id);
      subscription.handlers.onComplete();
    }
  }

  #errorOf(serialized: unknown): AgentRpcClientError {
    return errorFromShape(superjson.deserialize(serialized as never));
  }

  /** Pings after a quiet spell; a connection that does not answer is dropped and reopened. */
  #keepAlive() {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = detached(
      setTimeout(() => {
        this.#socket?.send('PING');
        this.#pingTimer = detached(setTimeout(() => this.#lost(), pongTimeoutMs));
      }, pingAfterQuietMs),
    );
  }

  /** The connection is gone: reopen it after a backoff while subscriptions remain. */
  #lost() {
    this.#drop();
    if (this.#closed || this.#subscriptions.size === 0) return;
    const delay = reconnectDelayMs(this.#attempt++);
    // Not detached: a reader waiting for the next event must keep the process alive.
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
  }

  #drop() {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    clearTimeout(this.#pingTimer);
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (socket.readyState === OPEN || socket.readyState === CONNECTING) {
      socket.close();
    }
  }

  #failAll(error: AgentRpcClientError) {
    const subscriptions = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    for (const subscription of subscriptions) subscription.handlers.onError(error);
  }
}
