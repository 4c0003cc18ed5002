// The SSE and WebSocket transports serve every subscription of a router,
// nested ones too, under their paths, and tRPC's stock links read them.
import { Agent, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createTRPCClient,
  createWSClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  wsLink,
} from '@trpc/client';
import { initTRPC, tracked } from '@trpc/server';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { sseSubscriptions } from './sse-subscriptions.ts';
import { transportConfig } from './transport-config.ts';
import { wsConnections } from './ws-connections.ts';

const t = initTRPC.create({ transformer: superjson });
const router = t.router({
  deep: t.router({
    nested: t.router({
      count: t.procedure.input(z.object({ to: z.number() })).subscription(async function* ({
        input,
      }) {
        for (let n = 1; n <= input.to; n++) yield tracked(`c:${n}`, { n });
      }),
    }),
  }),
  top: t.procedure.query(() => 'not a subscription'),
});

let server: Server;
let url = '';

beforeAll(async () => {
  const subscriptions = sseSubscriptions({
    router,
    config: transportConfig({ transformer: superjson }),
    basePath: '/trpc/',
    authenticate: async () => ({}),
    maxInputDepth: 64,
    onError: () => {},
  });
  server = createServer((req, res) => {
    const route = subscriptions.route(req);
    if (!route) res.writeHead(404).end();
    else if ('path' in route) void subscriptions.stream(req, res, route.path);
    else subscriptions.refuse(res, route.refusal);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('sseSubscriptions', () => {
  it('serves a subscription of a nested router under its full path', async () => {
    const client = createTRPCClient<typeof router>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url, transformer: superjson, EventSource }),
          false: httpLink({ url, transformer: superjson }),
        }),
      ],
    });
    const seen = await new Promise<{ id: string; n: number }[]>((resolve, reject) => {
      const items: { id: string; n: number }[] = [];
      const subscription = client.deep.nested.count.subscribe(
        { to: 3 },
        {
          onData: ({ id, data }) => {
            items.push({ id, n: data.n });
            if (items.length === 3) {
              subscription.unsubscribe();
              resolve(items);
            }
          },
          onError: reject,
        },
      );
    });
    expect(seen).toEqual([
      { id: 'c:1', n: 1 },
      { id: 'c:2', n: 2 },
      { id: 'c:3', n: 3 },
    ]);
  });

  it('serves the nested subscription over WebSocket too', async () => {
    const websockets = wsConnections({
      router,
      config: transportConfig({ transformer: superjson }),
      authenticate: async () => ({}),
      onError: () => {},
      keepAlive: { pingMs: 10_000, pongWaitMs: 5_000 },
      limits: { maxParamsBytes: 4096, maxDepth: 64, messagesPerSecond: 50, authTimeoutMs: 5_000 },
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => void websockets.accept(wss, { req, socket, head }));
    const socket = createWSClient({ url: url.replace(/^http/, 'ws') });
    const client = createTRPCClient<typeof router>({
      links: [wsLink({ client: socket, transformer: superjson })],
    });
    try {
      const seen = await new Promise<number[]>((resolve, reject) => {
        const items: number[] = [];
        client.deep.nested.count.subscribe(
          { to: 2 },
          {
            onData: ({ data }) => items.push(data.n),
            onComplete: () => resolve(items),
            onError: reject,
          },
        );
      });
      expect(seen).toEqual([1, 2]);
    } finally {
      await socket.close();
      wss.close();
    }
  });

  it('refuses a subscription asked for by POST or in a batch: one code path serves it', async () => {
    const posted = await fetch(`${url}/deep.nested.count`, { method: 'POST', body: '{}' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
    expect((await fetch(`${url}/deep.nested.count?batch=1`)).status).toBe(400);
    expect((await fetch(`${url}/top,deep.nested.count?batch=1`)).status).toBe(400);
  });

  it('tells a kept-alive client how long the server keeps its idle connection', async () => {
    // Clients that read the hint stop reusing a connection before the server closes it.
    const agent = new Agent({ keepAlive: true });
    const input = encodeURIComponent(JSON.stringify({ json: { to: 1 } }));
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) =>
        get(`${url}/deep.nested.count?input=${input}`, { agent }, resolve).on('error', reject),
      );
      let body = '';
      for await (const chunk of response) body += String(chunk);
      expect(body).toMatch(/event: return/);
      expect(response.headers.connection).toBe('keep-alive');
      expect(response.headers['keep-alive']).toBe(`timeout=${server.keepAliveTimeout / 1000}`);
    } finally {
      agent.destroy();
    }
  });

  it('leaves queries and unknown paths to the rest of the server', async () => {
    expect((await fetch(`${url}/top`)).status).toBe(404);
    expect((await fetch(`${url}/deep.nested`)).status).toBe(404);
  });

  it('ends a stream at sse.maxDurationMs without `return`, and it resumes after the last id', async () => {
    const limited = initTRPC.create({ transformer: superjson, sse: { maxDurationMs: 150 } });
    const ticking = limited.router({
      ticks: limited.procedure
        .input(z.object({ lastEventId: z.string().nullish() }).optional())
        .subscription(async function* ({ input, signal }) {
          for (let n = Number(input?.lastEventId ?? 0) + 1; !signal?.aborted; n++) {
            yield tracked(String(n), { n });
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }),
    });
    const subscriptions = sseSubscriptions({
      router: ticking,
      config: transportConfig({ transformer: superjson, sse: { maxDurationMs: 150 } }),
      basePath: '/',
      authenticate: async () => ({}),
      maxInputDepth: 64,
      onError: () => {},
    });
    const limitedServer = createServer((req, res) => {
      const route = subscriptions.route(req);
      if (route && 'path' in route) void subscriptions.stream(req, res, route.path);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => limitedServer.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(limitedServer.address() as AddressInfo).port}`;
    try {
      const started = performance.now();
      const first = await (await fetch(`${base}/ticks`)).text();
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(first).not.toMatch(/event: return/);
      const ids = [...first.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids.length).toBeGreaterThan(1);
      const last = ids.at(-1) as number;
      const again = await (
        await fetch(`${base}/ticks`, { headers: { 'last-event-id': String(last) } })
      ).text();
      expect(/^id: (\d+)$/m.exec(again)?.[1]).toBe(String(last + 1));
    } finally {
      await new Promise<void>((resolve) => limitedServer.close(() => resolve()));
    }
  });
});
