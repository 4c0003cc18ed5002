// One log line per HTTP request: request id (from x-request-id or new), method,
// path, status, duration and the authenticated user, never the credential.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observe/logger.ts';

export interface RequestLogging {
  logRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Records who made the request, once authentication has run. */
  setUser(req: IncomingMessage, userId: string | undefined): void;
  /** The id the request is logged under (sent back as `x-request-id`). */
  requestIdOf(req: IncomingMessage): string | undefined;
}

const requestIdPattern = /^[\w.:-]{1,100}$/;

export function requestLogging(logger: Logger): RequestLogging {
  const users = new WeakMap<IncomingMessage, string>();
  const ids = new WeakMap<IncomingMessage, string>();
  return {
    requestIdOf: (req) => ids.get(req),
    setUser: (req, userId) => {
      if (userId) users.set(req, userId);
    },
    logRequest: (req, res) => {
      const given = req.headers['x-request-id'];
      const requestId =
        typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', requestId);
      ids.set(req, requestId);
      const started = performance.now();
      res.once('close', () => {
        logger.info(
          {
            requestId,
            method: req.method,
            path: (req.url ?? '/').split('?')[0],
            status: res.statusCode,
            durationMs: Math.round(performance.now() - started),
            userId: users.get(req),
          },
          'request',
        );
      });
    },
  };
}
