// Serves tRPC's WebSocket protocol, the one its wsLink speaks: JSON messages
// for queries, mutations and subscriptions (started / data / stopped), an
// optional first connectionParams message, PING/PONG and a reconnect notice.
// Procedures still run through tRPC (createCaller: middleware, input
// validation, error formatting); only the framing is here. tRPC's adapter races
// every event of a subscription against its stop signal and walks each one
// with the transformer, which made it most of a streaming run's cost under
// load; our subscriptions end on their signal by themselves.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { consumeFeed } from '@agentrpc/core/internal';
import {
  type AnyRouter,
  getTRPCErrorFromUnknown,
  isTrackedEnvelope,
  TRPCError,
} from '@trpc/server';
import { WebSocket } from 'ws';
import { callProcedure, type ProcedureType, procedureTypes } from './procedure-call.ts';
import {
  connectionParamsFrom,
  subscriptionSerializer,
  withLastEventId,
} from './subscription-values.ts';
import type { TransportConfig } from './transport-config.ts';
import { parseClientMessage, serializeResponse } from './ws-messages.ts';
import { batchedSender, keepAlive } from './ws-socket.ts';

type ConnectionParams = Record<string, string | undefined> | null;
type RequestId = string | number | null;

export interface WsConnectionOptions<TContext> {
  router: AnyRouter;
  /** The transformer and error shape of the router's tRPC setup. */
  config: TransportConfig;
  createContext: (req: IncomingMessage, connectionParams: ConnectionParams) => Promise<TContext>;
  onError: (error: TRPCError, path: string | undefined) => void;
  /** Ping after this much quiet from the client; close when no answer comes in time. */
  keepAlive: { pingMs: number; pongWaitMs: number };
}

interface Call {
  id: RequestId;
  jsonrpc: '2.0' | undefined;
  type: ProcedureType | 'unknown';
  path: string | undefined;
  input: unknown;
}

/** Calls one message may batch; each runs at once, so a cap keeps one message from flooding the server. */
const maxBatch = 100;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export function wsConnections<TContext>(options: WsConnectionOptions<TContext>) {
  const { router, config } = options;
  const serialize = subscriptionSerializer(config.transformer);
  const types = procedureTypes(router);

  function serve(ws: WebSocket, req: IncomingMessage, socket: Duplex) {
    const subscriptions = new Map<string | number, AbortController>();
    let ctx: TContext | undefined;
    let context: Promise<{ ok: true } | { ok: false; error: TRPCError }> | undefined;

    const send = batchedSender(ws, socket);
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

    const createContext = (params: () => ConnectionParams) => {
      context = (async () => {
        try {
          ctx = await options.createContext(req, params());
          return { ok: true } as const;
        } catch (cause) {
          fail(connectionCall, cause);
          setImmediate(() => ws.close());
          return { ok: false, error: getTRPCErrorFromUnknown(cause) } as const;
        }
      })();
    };
    const wantsParams = new URL(req.url ?? '/', 'http://localhost').searchParams;
    if (wantsParams.get('connectionParams') !== '1') createContext(() => null);

    /** Streams a subscription's values until it ends, fails or is stopped. */
    async function subscribe(call: Call, iterable: AsyncIterable<unknown>, signal: AbortSignal) {
      respond({ id: call.id, jsonrpc: call.jsonrpc, result: { type: 'started' } });
      const sendValue = (value: unknown): true => {
        const [eventId, data] = isTrackedEnvelope(value)
          ? [value[0], { id: value[0], data: value[1] }]
          : [undefined, value];
        const result = { type: 'data', id: eventId, data: serialize(data) };
        send(JSON.stringify({ id: call.id, jsonrpc: call.jsonrpc, result }));
        return true;
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
        const ready = await context;
        if (!ready?.ok) throw ready?.error ?? new TRPCError({ code: 'UNAUTHORIZED' });
        if (abort.signal.aborted) return;
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
      if (text === 'PING') {
        send('PONG');
        return;
      }
      if (!context) {
        // The first message of a client that announced connection params carries them.
        createContext(() => {
          try {
            const message = JSON.parse(text) as { data?: unknown };
            return connectionParamsFrom(message.data);
          } catch (cause) {
            throw new TRPCError({
              code: 'PARSE_ERROR',
              message: 'Malformed connection params',
              cause,
            });
          }
        });
        return;
      }
      let messages: unknown[];
      try {
        const parsed: unknown = JSON.parse(text);
        messages = Array.isArray(parsed) ? parsed : [parsed];
      } catch (cause) {
        fail(connectionCall, new TRPCError({ code: 'PARSE_ERROR', cause }));
        return;
      }
      if (messages.length > maxBatch) {
        const message = `at most ${maxBatch} calls in one message; this one has ${messages.length}`;
        fail(connectionCall, new TRPCError({ code: 'BAD_REQUEST', message }));
        return;
      }
      for (const raw of messages) {
        let call: Call;
        try {
          const message = parseClientMessage(raw, config.transformer);
          if (message.method === 'subscription.stop') {
            subscriptions.get(message.id ?? '')?.abort();
            continue;
          }
          const { lastEventId, path } = message.params;
          const input = withLastEventId(message.params.input, lastEventId);
          call = { id: message.id, jsonrpc: message.jsonrpc, type: message.method, path, input };
        } catch (cause) {
          fail(connectionCall, new TRPCError({ code: 'PARSE_ERROR', cause }));
          continue;
        }
        void handle(call);
      }
    }

    keepAlive(ws, options.keepAlive);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        fail(
          connectionCall,
          new TRPCError({ code: 'UNPROCESSABLE_CONTENT', message: 'Binary messages are not read' }),
        );
        return;
      }
      onMessage(data.toString());
    });
    ws.on('error', (cause) => options.onError(getTRPCErrorFromUnknown(cause), undefined));
    ws.once('close', () => {
      for (const abort of subscriptions.values()) abort.abort();
      subscriptions.clear();
    });
  }

  return {
    /** Serves one accepted connection, upgraded on `socket`, until it closes. */
    serve,
    /** Asks every client to reconnect (sent before a shutdown). */
    broadcastReconnect(clients: Iterable<WebSocket>) {
      const text = JSON.stringify({ id: null, method: 'reconnect' });
      for (const ws of clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
  };
}
