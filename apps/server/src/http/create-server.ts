// One port for everything: tRPC at /trpc over HTTP (queries, mutations, SSE
// subscriptions) and WebSocket, plus /healthz and /readyz.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { hostname } from 'node:os';
import { AgentRpcError, definePrices } from '@agentrpc/core';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { callerContexts } from '../auth/caller-context.ts';
import { configWarnings } from '../config/config-warnings.ts';
import type { ServerConfig } from '../config/define-config.ts';
import { storeFromEnv } from '../config/store-from-env.ts';
import { validateConfig } from '../config/validate-config.ts';
import { createServices, instanceIdOf } from '../create-services.ts';
import { metricsEndpoint } from '../observe/metrics-endpoint.ts';
import { serveOpenAI } from '../openai/openai-routes.ts';
import { peerEndpoint, peerEventsPath } from '../peer/peer-endpoint.ts';
import type { PeersConfig } from '../peer/peers.ts';
import { appRouter } from '../routers/app-router.ts';
import { refusalBeforeAuth } from '../run/early-refusals.ts';
import { recoverInterruptedRuns, sweepOrphanedRuns } from '../run/recover-runs.ts';
import { startRetention } from '../run/session-retention.ts';
import type { Services } from '../trpc/context.ts';
import { readableMessage, retryAfterOf } from '../trpc/error-codes.ts';
import { transports } from '../trpc/init.ts';
import { earlyCallRefusals } from './call-refusal.ts';
import { applyCors } from './cors.ts';
import { listen } from './listen.ts';
import { requestLogging } from './request-logging.ts';
import { sseSubscriptions } from './sse-subscriptions.ts';
import { webConsole } from './web-console.ts';
import { websocketEndpoint } from './websocket-endpoint.ts';

/**
 * How long an idle client connection stays open: past the 60 s for which
 * common load balancers (an AWS ALB, nginx's upstream keepalive) keep theirs,
 * so the server is not the one to close a connection a client is about to
 * reuse. node:http's 5 s made a client that reused a connection idle that long
 * meet the server's close now and then, and fail with ECONNRESET: more often
 * the busier the server's loop (docs/performance-notes.md, "The loop's longest
 * tick, and a keep-alive hint"). Later Node versions default to 65 s too.
 */
const defaultKeepAliveTimeoutMs = 65_000;

export interface ListenOptions {
  port?: number;
  host?: string;
  /** Where start-up warnings (a model without an API key, no auth) go; default the logger. */
  onWarning?: (warning: string) => void;
  /**
   * What serves subscriptions: agentrpc's own SSE and WebSocket transports (default),
   * or tRPC's standalone and ws adapters, so the two can be measured side by side.
   */
  transports?: 'agentrpc' | 'trpc';
}

export interface AgentRpcServer {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  readonly services: Services;
  /** Runs found unfinished at start and ended as INTERRUPTED. */
  readonly recovered: number;
  /** Where /metrics is served on a listener of its own (config `metrics.port`), if it is. */
  readonly metricsUrl: string | undefined;
  /** The web console's address, when it is served (config `ui`, and a build present). */
  readonly consoleUrl: string | undefined;
  /** Stops accepting, waits up to `graceMs` for runs to finish, then closes. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Deepest nesting of arrays and objects in a WebSocket message or SSE input:
 * room for the envelope and the transformer's wrapping around inputs capped at
 * limits.maxJsonDepth, and far below what makes parsing expensive.
 */
const maxMessageDepth = 64;

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);
const wildcardHosts = new Set(['0.0.0.0', '::']);

function hasAuth(config: ServerConfig): boolean {
  return Boolean(config.auth?.apiKeys?.length || config.auth?.jwt);
}

/** Config `peers`, else AGENTRPC_PEER_SECRET and AGENTRPC_PEER_URL. */
function peersOf(config: ServerConfig): PeersConfig | undefined {
  if (config.peers) return config.peers;
  const secret = process.env.AGENTRPC_PEER_SECRET;
  if (!secret) return undefined;
  const url = process.env.AGENTRPC_PEER_URL;
  return url ? { secret, url } : { secret };
}

export async function startServer(
  config: ServerConfig,
  options: ListenOptions = {},
): Promise<AgentRpcServer> {
  const peers = peersOf(config);
  if (peers) config = { ...config, peers };
  validateConfig(config);
  const host = options.host ?? '127.0.0.1';
  if (!hasAuth(config) && !loopbackHosts.has(host)) {
    throw new Error(
      `refusing to listen on ${host} without auth: configure auth.apiKeys or auth.jwt, or use 127.0.0.1`,
    );
  }
  if (config.prices) definePrices(config.prices);
  const store = config.store ?? (await storeFromEnv());
  const services = createServices(config, store);
  const warn = options.onWarning ?? ((warning: string) => services.logger.warn(warning));
  for (const warning of configWarnings(config)) warn(warning);
  const recovered = await recoverInterruptedRuns(store, { reclaimFrom: instanceIdOf(config) });
  const retention = startRetention(store, config.retention, services.logger);
  const web = config.ui === false ? undefined : await webConsole(config.uiRoot);
  // Runs orphaned by a process that died after this one started end within a lease and a sweep.
  const sweep = sweepOrphanedRuns(services.store, {
    intervalMs: services.limits.orphanSweepMs,
    liveHere: (run) => services.runs.isLive(run),
    onError: (error) => services.logger.error({ err: error }, 'orphaned-run sweep failed'),
  });
  const { logRequest, setUser, requestIdOf } = requestLogging(services.logger);
  const metrics = await metricsEndpoint({
    config: config.metrics,
    hasAuth: hasAuth(config),
    services,
  });
  const contexts = callerContexts(services, setUser);
  const logProcedureError = (error: TRPCError, path: string | undefined, req?: IncomingMessage) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      // The client has this request's id (x-request-id) to point at this line.
      const requestId = req && requestIdOf(req);
      services.logger.error({ err: error, path, requestId }, 'procedure failed');
    } else if (error.code === 'PARSE_ERROR' || error.code === 'BAD_REQUEST') {
      // The client's mistake: worth a line, not an alarm, and no stack.
      services.logger.warn(
        { code: error.code, path, reason: readableMessage(error) },
        'bad request',
      );
    }
  };
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: services.limits.maxRequestBytes,
    responseMeta: ({ errors }) => {
      const retryAfter = errors.map(retryAfterOf).find((seconds) => seconds !== undefined);
      return retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } };
    },
    onError: ({ error, path, req }) => logProcedureError(error, path, req),
    // Connection params carry credentials only where headers can't (a browser's
    // EventSource); a plain query or mutation must send the header, so keys stay out of URLs.
    createContext: ({ req, info }) =>
      contexts.contextFor(req, {
        authorization: req.headers.authorization,
        connectionParams: info.type === 'subscription' ? info.connectionParams : null,
      }),
  });
  const refuseBeforeAuth = refusalBeforeAuth(services.runs);
  const subscriptions = sseSubscriptions({
    router: appRouter,
    config: transports,
    basePath: '/trpc/',
    authenticate: contexts.authenticated,
    onError: logProcedureError,
    maxInputDepth: maxMessageDepth,
    stallMs: services.limits.streamStallMs,
    refuseBeforeAuth,
  });
  const refusedEarly = earlyCallRefusals({
    config: transports,
    basePath: '/trpc/',
    refusal: refuseBeforeAuth,
  });
  const peerEvents =
    services.peers &&
    peerEndpoint({
      secret: services.peers.secret,
      liveEvents: (request) => services.runs.liveEvents(request),
      logger: services.logger,
      streams: services.metrics.peerStreams,
    });
  const ownTransports = options.transports !== 'trpc';
  let accepting = true;
  const server: Server = createHttpServer((req, res) => {
    logRequest(req, res);
    if (applyCors(req, res, config.cors)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else if (path === '/readyz') {
      res
        .writeHead(accepting ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ready: accepting }));
    } else if (path === '/metrics') {
      metrics.serveOnApiPort(req, res);
    } else if (path?.startsWith('/trpc/') && req.method !== 'GET' && req.method !== 'POST') {
      res
        .writeHead(405, { 'content-type': 'application/json', allow: 'GET, POST' })
        .end('{"error":{"message":"tRPC is served over GET and POST"}}');
    } else if (path?.startsWith('/trpc/')) {
      const route = ownTransports ? subscriptions.route(req) : undefined;
      if (!route) {
        if (!refusedEarly(req, res)) trpc(req, res);
      } else if ('path' in route) void subscriptions.stream(req, res, route.path);
      else subscriptions.refuse(res, route.refusal);
    } else if (path === peerEventsPath && peerEvents) {
      peerEvents(req, res);
    } else if (path?.startsWith('/v1/') && config.openaiCompatible !== false) {
      serveOpenAI(req, res, services);
    } else if (!web?.serve(req, res, path ?? '/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  server.keepAliveTimeout = config.keepAliveTimeoutMs ?? defaultKeepAliveTimeoutMs;
  const websockets = websocketEndpoint(server, {
    services,
    contexts,
    own: ownTransports,
    maxDepth: maxMessageDepth,
    accepting: () => accepting,
    onError: logProcedureError,
  });
  const listening = await listen(server, { port: options.port ?? 3000, host });
  const { port } = listening;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  // Bound to every interface, this host's name is the likelier way in for the others.
  const everyInterface = wildcardHosts.has(host);
  const reachableHost = everyInterface ? hostname() : shownHost;
  if (services.peers && !services.peers.url && everyInterface) {
    warn(
      `peers.url is not set: other instances will reach this one at http://${reachableHost}:${port}; set peers.url (AGENTRPC_PEER_URL) if that name does not resolve for them`,
    );
  }
  services.peers?.listeningAt(`http://${reachableHost}:${port}`);
  return {
    url: `http://${shownHost}:${port}`,
    port,
    services,
    recovered,
    metricsUrl: metrics.url,
    consoleUrl: web ? `http://${shownHost}:${port}/` : undefined,
    close: async (graceMs = 10_000) => {
      // During the grace period the port stays open: /readyz says 503 so a load
      // balancer moves on, new runs get SHUTDOWN, running streams go on.
      accepting = false;
      services.runs.stopAccepting();
      clearInterval(retention);
      clearInterval(sweep);
      const left = await services.runs.drain(graceMs);
      if (left > 0) {
        // Past the deadline: end what is left as SHUTDOWN and wait for it to be saved.
        services.runs.abortAll(
          new AgentRpcError('SHUTDOWN', 'The server shut down before the run finished'),
        );
        await services.runs.drain(5_000);
      }
      websockets.close();
      listening.close();
      services.runs.close();
      services.peers?.close();
      server.close();
      server.closeAllConnections();
      await metrics.close();
      await services.store.close();
    },
  };
}
