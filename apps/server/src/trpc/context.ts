// Per-request context: the caller (from the credential only) and the services.
import type { AgentRpcError, Store } from '@agentrpc/core';
import type { Authenticator } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { Limits } from '../config/define-config.ts';
import type { Logger } from '../observe/logger.ts';
import type { ServerMetrics } from '../observe/metrics.ts';
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
}

export interface Context {
  services: Services;
  principal: Principal | null;
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
): Promise<Context> {
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
