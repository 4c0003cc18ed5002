// The server's configuration: agents, store, auth, limits and CORS.
import type { Agent, ModelPrice, Store } from '@agentrpc/core';
import type { Logger } from '../observe/logger.ts';

export interface ApiKeyCredential {
  key: string;
  userId: string;
  roles?: string[];
}

export interface JwtConfig {
  /** HS256 shared secret; or use jwksUrl. */
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Claim holding the user id (default `sub`). */
  userClaim?: string;
  /** Claim holding a list of roles (default `roles`). */
  rolesClaim?: string;
  /** When set, tokens must carry `iat` and be at most this old. */
  maxAgeSeconds?: number;
  /** Refuse tokens without `exp` (default true). */
  requireExpiry?: boolean;
  /** Tolerated clock difference for `exp`, `nbf` and `iat` (default 30 s). */
  clockToleranceSeconds?: number;
}

export interface AuthConfig {
  apiKeys?: ApiKeyCredential[];
  jwt?: JwtConfig;
}

export interface Limits {
  /** Largest request body in bytes (default 8 MiB, room for a few images). */
  maxRequestBytes: number;
  /** Largest WebSocket message from an authenticated client, in bytes (default 8 MiB). */
  maxWebSocketMessageBytes: number;
  /** Messages one WebSocket connection may send per second, in bursts of twice that (default 500). */
  webSocketMessagesPerSecond: number;
  /** A WebSocket that has not authenticated after this long is closed (default 10 s). */
  webSocketAuthTimeoutMs: number;
  /**
   * A stream (SSE, WebSocket, /v1) whose client takes nothing of what it was
   * sent for this long, its connection's buffers full, is closed: it holds a
   * subscription slot and those buffers. The SDK reconnects and resumes
   * (default 60 s).
   */
  streamStallMs: number;
  /** Longest text input in characters (default 100,000). */
  maxInputChars: number;
  /** Most attachments (images, audio, videos, files) in one run (default 16). */
  maxAttachments: number;
  /** Runs one user may have going at once (default 8). */
  maxConcurrentRunsPerUser: number;
  /** Requests one user may make per minute, with bursts of a sixth of it (default 600). */
  requestsPerMinute: number;
  /** Subscriptions (runs.stream, runs.events) one user may have open at once (default 64). */
  maxSubscriptionsPerUser: number;
  /** Failed credentials one client address may send per minute before RATE_LIMITED (default 60). */
  authFailuresPerMinute: number;
  /**
   * Runs this server process runs at once, over all users (default 1,000);
   * also the most the admission limit grows to.
   */
  maxRunningRuns: number;
  /**
   * New runs are refused (RATE_LIMITED, Retry-After) while the event loop's
   * median delay over the last 250 ms is above this (default 100 ms; 0
   * turns it off): the process is saturated, and a run started then would
   * wait for its first token while slowing every stream already going.
   * With it, new runs are also refused above an admission limit learned
   * from the load: it starts at admissionStart running runs and grows while
   * the loop has time to spare (docs/deployment.md).
   */
  maxEventLoopDelayMs: number;
  /**
   * Where the admission limit starts, and the least it drops to is half of
   * it (default 64). A process that must take large bursts at once from its
   * start can set it up to maxRunningRuns; above the load it carries, the
   * runs let in then wait for their first token.
   */
  admissionStart: number;
  /** A run still going after this long ends as RUN_TIMEOUT (default 10 minutes). */
  runTimeoutMs: number;
  /** How often to look for runs whose process died and end them as INTERRUPTED (default 15 s). */
  orphanSweepMs: number;
}

export const defaultLimits: Limits = {
  maxRequestBytes: 8 * 1024 * 1024,
  maxWebSocketMessageBytes: 8 * 1024 * 1024,
  webSocketMessagesPerSecond: 500,
  webSocketAuthTimeoutMs: 10_000,
  streamStallMs: 60_000,
  maxInputChars: 100_000,
  maxAttachments: 16,
  maxConcurrentRunsPerUser: 8,
  maxSubscriptionsPerUser: 64,
  requestsPerMinute: 600,
  authFailuresPerMinute: 60,
  maxRunningRuns: 1000,
  maxEventLoopDelayMs: 100,
  admissionStart: 64,
  runTimeoutMs: 600_000,
  orphanSweepMs: 15_000,
};

export interface ServerConfig {
  // biome-ignore lint/suspicious/noExplicitAny: agents of any output type live side by side
  agents: Agent<any>[];
  /** Default: from AGENTRPC_STORE, else SQLite at .agentrpc/agentrpc.db. */
  store?: Store;
  /** None: a single local user, loopback only. */
  auth?: AuthConfig;
  limits?: Partial<Limits>;
  /** Delete sessions idle longer than sessionTtlMs, checking every intervalMs (default hourly). */
  retention?: { sessionTtlMs: number; intervalMs?: number };
  /** On SIGTERM/SIGINT, how long running runs may go on before they end as SHUTDOWN (default 10 s). */
  shutdownGraceMs?: number;
  /**
   * How long a client's idle connection stays open for its next request
   * (default 65 s; every response says so in its Keep-Alive header). Keep it
   * above the idle timeout of any load balancer in front (an AWS ALB: 60 s by
   * default), or the balancer can send a request on a connection as the
   * server closes it, and answer that request with 502.
   */
  keepAliveTimeoutMs?: number;
  /** A pino logger (default: JSON lines on stdout, level from AGENTRPC_LOG_LEVEL). */
  logger?: Logger;
  /** Prices (USD per million tokens) by model id, added to or replacing the built-in table. */
  prices?: Record<string, ModelPrice>;
  /**
   * Where Prometheus metrics are served. Default: nowhere public. `port` serves
   * /metrics on its own listener (host 127.0.0.1 unless given); `token` serves it
   * on the API port to callers sending `Authorization: Bearer <token>`. A server
   * without auth (loopback only) serves /metrics on its port as before.
   */
  metrics?: { port?: number; host?: string; token?: string };
  /**
   * This process's identity among the instances on one store, unique among live
   * ones (default AGENTRPC_INSTANCE_ID, else host name and process id). Give a
   * stable one (a StatefulSet pod name, a systemd unit) and a restarted process
   * ends the runs its previous life left unfinished at once, instead of after
   * their leases expire.
   */
  instanceId?: string;
  /**
   * Instances on one store that share this secret follow each other's runs
   * directly: a reader on this instance of a run live on another streams it
   * from that instance (GET /peer/runs/events), instead of polling the store.
   * `url` is where the others reach this one (default the address it listens
   * on). Default: AGENTRPC_PEER_SECRET and AGENTRPC_PEER_URL; unset, readers
   * poll the store.
   */
  peers?: { secret: string; url?: string };
  /** Allowed browser origins, or '*'. Default: none (same-origin only). */
  cors?: { origins: string[] | '*' };
  /** Serve the OpenAI-compatible facade at /v1 (GET /v1/models, POST /v1/chat/completions); default true. */
  openaiCompatible?: boolean;
  /** Serve the web console at / (default true; it is served when its build ships with the server). */
  ui?: boolean;
  /** Where the console's build is, for a console built elsewhere (default: web/ in this package). */
  uiRoot?: string;
}

/** Types a config file's default export. */
export function defineConfig(config: ServerConfig): ServerConfig {
  return config;
}
