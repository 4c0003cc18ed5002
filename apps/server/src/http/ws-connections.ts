// Serves tRPC's WebSocket protocol, the one its wsLink speaks: JSON messages
// for queries, mutations and subscriptions (started / data / stopped), an
// optional first connectionParams message, PING/PONG and a reconnect notice.
// A connection is authenticated before any of its calls is parsed
// (ws-connection-auth.ts).
// Procedures still run through tRPC (createCaller: middleware, input
// validation, error formatting); only the framing is here. tRPC's adapter races
// every event of a subscription against its stop signal and walks each one
// with the transformer, which made it most of a streaming run's cost under
// load; our subscriptions end on their signal by themselves.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { consumeFeed } from '@agentrpc/core/internal';
import { type AnyRouter, getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { WebSocket, type WebSocketServer } from 'ws';
import { drained } from './drained.ts';
import { callProcedure, procedureTypes } from './procedure-call.ts';
import type { TransportConfig } from './transport-config.ts';
import {
  type Authentication,
  authenticationOf,
  ConnectionAuth,
  type ConnectionParams,
  isSmallMessage,
} from './ws-connection-auth.ts';
import { type Call, readMessage, serializeResponse, subscriptionDataText } from './ws-messages.ts';
import { batchedSender, keepAlive, messageAllowance } from './ws-socket.ts';

export interface WsLimits {
  /** Largest message before authentication, the connectionParams message (bytes). */
  maxParamsBytes: number;
  /** Deepest nesting of arrays and objects in a message. */
  maxDepth: number;
  /** Messages a connection may send per second, in bursts of twice that. */
  messagesPerSecond: number;
  /** A connection that has not authenticated after this long is closed. */
  authTimeoutMs: number;
  /** A connection that takes nothing for this long, its buffers full, is closed (default never). */
  stallMs?: number;
}

export interface WsConnectionOptions<TContext> {
  router: AnyRouter;
  /** The transformer and error shape of the router's tRPC setup. */
  config: TransportConfig;
  /** The context of an authenticated caller; throws when the credential is refused. */
  authenticate: (req: IncomingMessage, connectionParams: ConnectionParams) => Promise<TContext>;
  onError: (error: TRPCError, path: string | undefined) => void;
  /** Ping after this much quiet from the client; close when no answer comes in time. */
  keepAlive: { pingMs: number; pongWaitMs: number };
  limits: WsLimits;
  /**
   * Asked once a call's input is read (a subscription's with the event id it
   * resumes from, if any), before its procedure is called: a refusal to answer at once
   * instead, so a saturated server turns new work away for little
   * (apps/server/src/run/early-refusals.ts).
   */
  refuseBeforeCall?: (call: {
    path: string;
    ctx: TContext;
    input: unknown;
  }) => TRPCError | undefined;
}

/** How long a refused connection stays open to answer the calls already sent with the refusal. */
const refusedLingerMs = 1_000;

/** WebSocket close code for a client that broke the rules (RFC 6455: policy violation). */
const policyViolation = 1008;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export function wsConnections<TContext>(options: WsConnectionOptions<TContext>) {
  const { router, config } = options;
  const types = procedureTypes(router);

  const { limits } = options;

  /**
   * Takes an upgrade request. A client that sends its credential in the
   * Authorization header is authenticated before the upgrade completes; one
   * that announced connectionParams must send them first.
   */
  async function accept(
    wss: WebSocketServer,
    upgrade: { req: IncomingMessage; socket: Duplex; head: Buffer },
  ) {
    const { req, socket, head } = upgrade;
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const auth =
      query.get('connectionParams') === '1'
        ? undefined
        : await authenticationOf(() => options.authenticate(req, null));
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, { req, socket, auth }));
  }

  function serve(
    ws: WebSocket,
    connection: {
      req: IncomingMessage;
      socket: Duplex;
      auth: Authentication<TContext> | undefined;
    },
  ) {
    const { req, socket } = connection;
    const subscriptions = new Map<string | number, AbortController>();
    const takeToken = messageAllowance(limits.messagesPerSecond);

    const send = batchedSender(ws, socket);
    /** One wait for the socket to drain, shared by every subscription that waits for it. */
    let draining: Promise<void> | undefined;
    const whenDrained = () =>
      (draining ??= drained(socket, options.limits.stallMs).then(() => {
        draining = undefined;
      }));
    const respond = (message: object) =>
      send(JSON.stringify(serializeResponse(message as never, config.transformer)));
    const fail = (call: Call, cause: unknown) => {
      const error = getTRPCErrorFromUnknown(cause);
      options.onError(error, call.path);
      const shape = config.errorShape(error, call.path);
      respond({ id: call.id, jsonrpc: call.jsonrpc, error: shape });
    };
    const connectionCall: Call = {
      id: null,
      jsonrpc: undefined,
      type: 'unknown',
      path: undefined,
      input: undefined,
    };

    /** Closes for a broken rule, after saying why. */
    const closeFor = (error: TRPCError) => {
      fail(connectionCall, error);
      setImmediate(() => ws.close(policyViolation, error.message.slice(0, 100)));
    };

    /** Answers each call in a small message with the refusal; a large one is not read. */
    const refuseCalls = (text: string, error: TRPCError) => {
      if (!isSmallMessage(text, limits.maxParamsBytes)) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        const id = (call as { id?: unknown } | null)?.id;
        if (typeof id === 'string' || typeof id === 'number') {
          respond({ id, jsonrpc: undefined, error: config.errorShape(error, undefined) });
        }
      }
    };

    const auth = new ConnectionAuth<TContext>({
      req,
      authenticate: options.authenticate,
      limits,
      onOpen: (held) => {
        for (const text of held) onMessage(text);
      },
      onRefused: (error, held) => {
        fail(connectionCall, error);
        for (const text of held) refuseCalls(text, error);
        void delay(refusedLingerMs).then(() => ws.close(policyViolation, 'unauthorized'));
      },
      onBroken: closeFor,
      onTimeout: () => ws.close(policyViolation, 'authentication timed out'),
    });

    /**
     * Streams a subscription's values until it ends, fails or is stopped,
     * taking the next only while the connection keeps up: every subscription
     * of a client that stops reading waits with it, as over SSE.
     */
    async function subscribe(call: Call, iterable: AsyncIterable<unknown>, signal: AbortSignal) {
      respond({ id: call.id, jsonrpc: call.jsonrpc, result: { type: 'started' } });
      const dataText = subscriptionDataText(call, config.transformer);
      const sendValue = (value: unknown): true | Promise<void> => {
        send(dataText(value));
        return socket.writableNeedDrain ? whenDrained() : true;
      };
      await consumeFeed(iterable, sendValue, signal);
    }

    async function handle(call: Call) {
      const { id, type, path } = call;
      if (id === null || type === 'unknown' || path === undefined) {
        fail(call, new TRPCError({ code: 'PARSE_ERROR', message: '`id` is required' }));
        return;
      }
      if (type === 'subscription' && subscriptions.has(id)) {
        fail(call, new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` }));
        return;
      }
      const abort = new AbortController();
      if (type === 'subscription') subscriptions.set(id, abort);
      let failed = false;
      try {
        const ctx = auth.ctx;
        // Only a call its procedure would take: one of the wrong type gets the procedure's NOT_FOUND.
        const refusal =
          ctx !== undefined && types.get(path) === type
            ? options.refuseBeforeCall?.({ path, ctx, input: call.input })
            : undefined;
        if (refusal) throw refusal;
        const result = await callProcedure(router, types, {
          ctx,
          path,
          type,
          input: call.input,
          signal: abort.signal,
        });
        if (type !== 'subscription') {
          respond({ id, jsonrpc: call.jsonrpc, result: { type: 'data', data: result } });
          return;
        }
        if (!isAsyncIterable(result)) {
          throw new TRPCError({
            code: 'INTERNAL_SERVER_ERROR',
            message: `Subscription ${path} did not return an async iterable`,
          });
        }
        await subscribe(call, result, abort.signal);
      } catch (cause) {
        failed = !abort.signal.aborted;
        if (failed) fail(call, cause);
      } finally {
        if (type === 'subscription') {
          subscriptions.delete(id);
          // The error ended it for the client already; `stopped` after it would be a second end.
          if (!failed) respond({ id, jsonrpc: call.jsonrpc, result: { type: 'stopped' } });
        }
      }
    }

    function onMessage(text: string) {
      if (text === 'PONG') return;
      if (!takeToken()) {
        const message = `more than ${limits.messagesPerSecond} messages per second`;
        closeFor(new TRPCError({ code: 'TOO_MANY_REQUESTS', message }));
        return;
      }
      if (text === 'PING') {
        send('PONG');
        return;
      }
      if (auth.state === 'refused') {
        refuseCalls(text, new TRPCError({ code: 'UNAUTHORIZED', message: 'not authenticated' }));
        return;
      }
      if (auth.state !== 'open') {
        auth.take(text);
        return;
      }
      let parts: ReturnType<typeof readMessage>;
      try {
        parts = readMessage(text, { maxDepth: limits.maxDepth, transformer: config.transformer });
      } catch (cause) {
        fail(connectionCall, cause);
        return;
      }
      for (const part of parts) {
        if ('call' in part) void handle(part.call);
        else if ('stop' in part) subscriptions.get(part.stop ?? '')?.abort();
        else fail(connectionCall, part.unreadable);
      }
    }

    if (connection.auth) auth.settle(connection.auth);
    keepAlive(ws, options.keepAlive);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        if (auth.state !== 'open') {
          ws.close(policyViolation, 'binary message');
          return;
        }
        fail(
          connectionCall,
          new TRPCError({ code: 'UNPROCESSABLE_CONTENT', message: 'Binary messages are not read' }),
        );
        return;
      }
      onMessage(data.toString());
    });
    // ws closes the socket itself on a broken frame (bad UTF-8, too large): the client's fault.
    ws.on('error', (cause) =>
      options.onError(
        new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause }),
        undefined,
      ),
    );
    ws.once('close', () => {
      auth.dispose();
      for (const abort of subscriptions.values()) abort.abort();
      subscriptions.clear();
    });
  }

  return {
    /** Authenticates an upgrade request, completes it and serves the connection until it closes. */
    accept,
    /** Asks every client to reconnect (sent before a shutdown). */
    broadcastReconnect(clients: Iterable<WebSocket>) {
      const text = JSON.stringify({ id: null, method: 'reconnect' });
      for (const ws of clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
  };
}
