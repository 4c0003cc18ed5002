// Retention: sessions idle longer than the configured time are deleted, with
// their runs and events, once at start and then every interval.
import type { Store } from '@agentrpc/core';
import type { ServerConfig } from '../config/define-config.ts';
import type { Logger } from '../observe/logger.ts';

/** Deletes idle sessions periodically, when retention is configured. */
export function startRetention(
  store: Store,
  retention: ServerConfig['retention'],
  logger: Logger,
): NodeJS.Timeout | undefined {
  if (!retention) return undefined;
  const sweep = () => {
    store.deleteIdleSessions(Date.now() - retention.sessionTtlMs).catch((error: unknown) => {
      logger.error({ err: error }, 'retention sweep failed');
    });
  };
  const timer = setInterval(sweep, retention.intervalMs ?? 3_600_000);
  timer.unref();
  sweep();
  return timer;
}
