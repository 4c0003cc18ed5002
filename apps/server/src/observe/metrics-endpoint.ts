// Where /metrics is served. Metrics name agents, users' run counts and error
// codes, so they are not public on the API port: a listener of their own
// (loopback unless told otherwise), or the API port with a bearer token. A
// server without auth listens on loopback only and serves them as before.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digestOf, matchesDigest } from '../auth/secret-digest.ts';
import type { ServerConfig } from '../config/define-config.ts';
import type { Logger } from './logger.ts';
import type { ServerMetrics } from './metrics.ts';

export interface MetricsEndpoint {
  /** Answers /metrics on the API port: the metrics, 401 without the token, or 404 when they live elsewhere. */
  serveOnApiPort(req: IncomingMessage, res: ServerResponse): void;
  /** The metrics listener's URL, when it has one. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

function writeMetrics(res: ServerResponse, services: { metrics: ServerMetrics; logger: Logger }) {
  services.metrics.registry.metrics().then(
    (text) =>
      res.writeHead(200, { 'content-type': services.metrics.registry.contentType }).end(text),
    (error: unknown) => {
      services.logger.error({ err: error }, 'metrics failed');
      res.writeHead(500).end();
    },
  );
}

export async function metricsEndpoint(options: {
  config: ServerConfig['metrics'];
  hasAuth: boolean;
  services: { metrics: ServerMetrics; logger: Logger };
}): Promise<MetricsEndpoint> {
  const { config = {}, services } = options;
  const token = config.token === undefined ? undefined : digestOf(config.token);
  let listener: Server | undefined;
  let url: string | undefined;
  if (config.port !== undefined) {
    const host = config.host ?? '127.0.0.1';
    listener = createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] === '/metrics') writeMetrics(res, services);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      listener?.once('error', reject);
      listener?.listen(config.port, host, resolve);
    });
    const { port } = listener.address() as AddressInfo;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  }
  return {
    url,
    serveOnApiPort(req, res) {
      if (token) {
        const given = digestOf((req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
        if (matchesDigest(given, token)) writeMetrics(res, services);
        else res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      } else if (!options.hasAuth && !listener) {
        writeMetrics(res, services);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!listener) resolve();
        else listener.close(() => resolve());
      }),
  };
}
