// The services one server process runs on, built from its config and store:
// the agents, the runs, metrics, logging, rate limits, authentication and the
// peers. Every transport (tRPC over HTTP and WebSocket, the /v1 facade) is
// handed the same object.
import { hostname } from 'node:os';
import type { Store } from '@agentrpc/core';
import { createAuthenticator } from './auth/authenticate.ts';
import { RateLimiter } from './auth/rate-limiter.ts';
import { defaultLimits, type ServerConfig } from './config/define-config.ts';
import { createLogger } from './observe/logger.ts';
import { ServerMetrics } from './observe/metrics.ts';
import { Peers } from './peer/peers.ts';
import { AgentRegistry } from './run/agent-registry.ts';
import { watchEventLoop } from './run/event-loop-load.ts';
import { RunManager } from './run/run-manager.ts';
import type { Services } from './trpc/context.ts';

/** This process's identity among instances on one store (see ServerConfig.instanceId). */
export function instanceIdOf(config: ServerConfig): string {
  return config.instanceId ?? process.env.AGENTRPC_INSTANCE_ID ?? `${hostname()}:${process.pid}`;
}

export function createServices(config: ServerConfig, store: Store): Services {
  const limits = { ...defaultLimits, ...config.limits };
  const metrics = new ServerMetrics();
  const timed = metrics.timedStore(store);
  const agents = new AgentRegistry(config.agents, timed, store);
  const logger = config.logger ?? createLogger();
  const peers = config.peers ? new Peers(config.peers, { logger, metrics }) : undefined;
  return {
    logger,
    metrics,
    agents,
    store: timed,
    runs: new RunManager({
      store: timed,
      agents,
      logger,
      metrics,
      limits,
      instanceId: instanceIdOf(config),
      peers,
      ...(limits.maxEventLoopDelayMs > 0
        ? { load: watchEventLoop({ maxDelayMs: limits.maxEventLoopDelayMs }) }
        : {}),
    }),
    limits,
    rateLimiter: new RateLimiter({ perMinute: limits.requestsPerMinute }),
    authenticate: createAuthenticator(config.auth),
    peers,
  };
}
