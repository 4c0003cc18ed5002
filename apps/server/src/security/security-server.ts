// The server the security suite attacks: real, on port 0, with two users, an
// admin, a slow demo agent and a log that the tests read back.
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { Agent, DemoModel, MemoryStore, type Store } from '@agentrpc/core';
import { WebSocket } from 'ws';
import type { Limits, ServerConfig } from '../config/define-config.ts';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';
import { createLogger } from '../observe/logger.ts';

export interface SecurityServer {
  server: AgentRpcServer;
  url: string;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export const keys = { alice: 'key-alice-0123456789', bob: 'key-bob-0123456789' };

export async function startSecurityServer(
  options: {
    limits?: Partial<Limits>;
    store?: Store;
    config?: Partial<ServerConfig>;
    agents?: ServerConfig['agents'];
  } = {},
): Promise<SecurityServer> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const server = await startServer(
    {
      store: options.store ?? new MemoryStore(),
      logger: createLogger({ destination, level: 'debug' }),
      agents: [
        new Agent({ id: 'slow', model: new DemoModel({ chunkDelayMs: 30 }) }),
        ...(options.agents ?? []),
      ],
      auth: {
        apiKeys: [
          { key: keys.alice, userId: 'alice' },
          { key: keys.bob, userId: 'bob' },
        ],
      },
      limits: { requestsPerMinute: 1_000_000, ...options.limits },
      ...options.config,
    },
    { port: 0 },
  );
  return { server, url: server.url, logs, close: () => server.close(200) };
}

/** An HTTP call with a user's key, body as superjson's `{ json }`. */
export function call(
  url: string,
  request: { path: string; key?: string; input?: unknown; method?: 'GET' | 'POST' },
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (request.key) headers.authorization = `Bearer ${request.key}`;
  const envelope = JSON.stringify({ json: request.input });
  if ((request.method ?? 'POST') === 'POST') {
    return fetch(`${url}/trpc/${request.path}`, { method: 'POST', headers, body: envelope });
  }
  return fetch(`${url}/trpc/${request.path}?input=${encodeURIComponent(envelope)}`, { headers });
}

/** How long /healthz takes to answer, in ms. */
export async function healthLatency(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`);
  await res.text();
  return performance.now() - started;
}

/** A raw WebSocket to /trpc, with what it received and how it closed. */
export async function rawSocket(
  url: string,
  options: { query?: string; headers?: Record<string, string> } = {},
) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc${options.query ?? ''}`, {
    headers: options.headers ?? {},
  });
  const received: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('message', (data) => received.push(data.toString()));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, closed };
}

/** `depth` arrays inside one another, as JSON text. */
export const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A request by node:http, which sends any method (fetch refuses TRACE and CONNECT). */
export function rawRequest(
  url: string,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${request.path}`, {
      method: request.method,
      headers: request.headers ?? {},
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (piece: string) => {
        text += piece;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(request.body);
  });
}
