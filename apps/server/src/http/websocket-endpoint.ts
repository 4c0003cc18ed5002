// tRPC over WebSocket at /trpc on the server's port: agentrpc's own transport
// (ws-connections.ts) by default, or tRPC's ws adapter when the server is
// started with `transports: 'trpc'`, so the two can be measured side by side.
// Upgrades to any other path, or once the server stops accepting, are refused.
import type { IncomingMessage, Server } from 'node:http';
import type { TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import type { CallerContexts } from '../auth/caller-context.ts';
import { appRouter } from '../routers/app-router.ts';
import { refusalBeforeCall } from '../run/early-refusals.ts';
import type { Services } from '../trpc/context.ts';
import { transports } from '../trpc/init.ts';
import { wsConnections } from './ws-connections.ts';

export interface WebSocketEndpointOptions {
  services: Services;
  contexts: CallerContexts;
  /** agentrpc's own transport, or tRPC's adapter. */
  own: boolean;
  /** Deepest nesting of arrays and objects in a message. */
  maxDepth: number;
  /** False once the server is shutting down: new upgrades are refused. */
  accepting: () => boolean;
  onError: (error: TRPCError, path: string | undefined, req?: IncomingMessage) => void;
}

const keepAlive = { pingMs: 15_000, pongWaitMs: 5_000 };

/** Serves upgrades on `server`; returns what a shutdown calls to tell the clients and close. */
export function websocketEndpoint(
  server: Server,
  options: WebSocketEndpointOptions,
): { close: () => void } {
  const { services, contexts, own, onError } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: services.limits.maxWebSocketMessageBytes,
  });
  const websockets = wsConnections({
    router: appRouter,
    config: transports,
    authenticate: contexts.authenticated,
    onError,
    keepAlive,
    refuseBeforeCall: refusalBeforeCall(services.runs),
    limits: {
      maxParamsBytes: 4096,
      maxDepth: options.maxDepth,
      messagesPerSecond: services.limits.webSocketMessagesPerSecond,
      authTimeoutMs: services.limits.webSocketAuthTimeoutMs,
      stallMs: services.limits.streamStallMs,
    },
  });
  const trpcWebsockets = own
    ? undefined
    : applyWSSHandler({
        wss,
        router: appRouter,
        createContext: ({ req, info }) =>
          contexts.contextFor(req, {
            authorization: req.headers.authorization,
            connectionParams: info.connectionParams,
          }),
        onError: ({ error, path }) => onError(error, path),
        keepAlive: { enabled: true, ...keepAlive },
      });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/trpc' || !options.accepting()) {
      socket.destroy();
      return;
    }
    if (own) void websockets.accept(wss, { req, socket, head });
    else wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return {
    close() {
      if (trpcWebsockets) trpcWebsockets.broadcastReconnectNotification();
      else websockets.broadcastReconnect(wss.clients);
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
