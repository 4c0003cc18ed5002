// Per-request context: the caller (from the credential only) and the services.
import type { AgentRpcError, Store } from '@agentrpc/core';
import type { Authenticator } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { Limits } from '../config/define-config.ts';
import type { Logger } from '../observe/logger.ts';
import type { ServerMetrics } from '../observe/metrics.ts';
import type { Peers } from '../peer/peers.ts';
import type { AgentRegistry } from '../run/agent-registry.ts';
import type { RunManager } from '../run/run-manager.ts';

export interface Services {
  logger: Logger;
  metrics: ServerMetrics;
  agents: AgentRegistry;
  store: Store;
  runs: RunManager;
  limits: Limits;
  authenticate: Authenticator;
  rateLimiter: RateLimiter;
  /** Other instances on the store that stream runs to each other, when configured. */
  peers: Peers | undefined;
}

/**
 * The context as tRPC and the router's type know it: plain data. The router's
 * type ships in the SDK's declarations, so nothing of the server (logger,
 * metrics, store) may appear here; procedures get the services through a
 * middleware (see init.ts).
 */
export interface Context {
  principal: Principal | null;
}

/** The context the server builds for each request: the public part and the services. */
export interface ServerContext extends Context {
  services: Services;
  /** Why the credential was refused, answered by every procedure that needs a user. */
  authError: AgentRpcError | null;
}

/** Reads the credential from the Authorization header, or from connection params (WebSocket, browser SSE). */
export async function createContext(
  services: Services,
  source: {
    authorization?: string | undefined;
    connectionParams?: Record<string, string | undefined> | null;
  },
): Promise<ServerContext> {
  const credential =
    source.authorization ??
    source.connectionParams?.authorization ??
    source.connectionParams?.token;
  try {
    return { services, principal: await services.authenticate(credential), authError: null };
  } catch (error) {
    return { services, principal: null, authError: error as AgentRpcError };
  }
}
