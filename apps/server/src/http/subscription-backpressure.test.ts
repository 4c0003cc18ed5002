// A client that stops reading holds back its own subscription, over SSE and
// over WebSocket: the server takes no more of the stream than the connection
// carries, instead of buffering all of it, and the client gets every value,
// in order, once it reads again.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { sseSubscriptions } from './sse-subscriptions.ts';
import { transportConfig } from './transport-config.ts';
import { wsConnections } from './ws-connections.ts';

/** Far more than the kernel's socket buffers hold on loopback (a few MB each way). */
const values = 3_000;
const pad = 'x'.repeat(16_000);
/** How many values the subscriptions have been asked for so far, all together. */
let taken = 0;

const t = initTRPC.create({ transformer: superjson });
const router = t.router({
  flood: t.procedure.input(z.object({ count: z.number() })).subscription(async function* ({
    input,
  }) {
    for (let n = 1; n <= input.count; n++) {
      taken++;
      yield { n, pad };
    }
  }),
});
const config = transportConfig({ transformer: superjson });

let server: http.Server;
let url = '';
beforeAll(async () => {
  const subscriptions = sseSubscriptions({
    router,
    config,
    basePath: '/trpc/',
    authenticate: async () => ({}),
    maxInputDepth: 64,
    onError: () => {},
  });
  const websockets = wsConnections({
    router,
    config,
    authenticate: async () => ({}),
    onError: () => {},
    keepAlive: { pingMs: 10_000, pongWaitMs: 5_000 },
    limits: { maxParamsBytes: 4096, maxDepth: 64, messagesPerSecond: 50, authTimeoutMs: 5_000 },
  });
  const wss = new WebSocketServer({ noServer: true });
  server = http.createServer((req, res) => {
    const route = subscriptions.route(req);
    if (route && 'path' in route) void subscriptions.stream(req, res, route.path);
    else res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => void websockets.accept(wss, { req, socket, head }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** Waits until `taken` has stopped growing, and returns it. */
async function takenOnceSettled(): Promise<number> {
  let before = -1;
  while (taken !== before) {
    before = taken;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return taken;
}

/** The values' numbers in the order they came, from data frames' JSON. */
function numbersIn(texts: string[]): number[] {
  return texts.map((text) => {
    const json = JSON.parse(text) as {
      json?: { n: number };
      result?: { data: { json: { n: number } } };
    };
    return json.json?.n ?? (json.result?.data.json.n as number);
  });
}

describe('a subscriber that stops reading', () => {
  it('holds back its SSE stream until it reads again', async () => {
    taken = 0;
    const input = encodeURIComponent(JSON.stringify({ json: { count: values } }));
    const req = http.get(`${url}/flood?input=${input}`);
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    res.pause();
    const heldAt = await takenOnceSettled();
    expect(heldAt).toBeGreaterThan(0);
    expect(heldAt).toBeLessThan(values / 2);

    res.setEncoding('utf8');
    let text = '';
    res.on('data', (piece: string) => {
      text += piece;
    });
    res.resume();
    await once(res, 'end');
    const frames = text.split('\n\n').filter((frame) => frame.startsWith('data: '));
    const numbers = numbersIn(frames.map((frame) => frame.slice('data: '.length)));
    expect(numbers).toEqual(Array.from({ length: values }, (_, i) => i + 1));
  });

  it('holds back its WebSocket subscription until it reads again', async () => {
    taken = 0;
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}`);
    await once(ws, 'open');
    const texts: string[] = [];
    const stopped = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const text = data.toString();
        const reply = JSON.parse(text) as { result?: { type: string } };
        if (reply.result?.type === 'data') texts.push(text);
        if (reply.result?.type === 'stopped') resolve();
      });
    });
    const params = { path: 'flood', input: superjson.serialize({ count: values }) };
    ws.send(JSON.stringify({ id: 1, method: 'subscription', params }));
    ws.pause();
    const heldAt = await takenOnceSettled();
    expect(heldAt).toBeGreaterThan(0);
    expect(heldAt).toBeLessThan(values / 2);

    ws.resume();
    await stopped;
    expect(numbersIn(texts)).toEqual(Array.from({ length: values }, (_, i) => i + 1));
    ws.close();
  });
  it('holds back every subscription of a WebSocket with one wait for the connection', async () => {
    taken = 0;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}`);
    await once(ws, 'open');
    const subscriptions = 40;
    const each = 100;
    const texts = new Map<number, string[]>();
    let stopped = 0;
    const allStopped = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const text = data.toString();
        const reply = JSON.parse(text) as { id: number; result?: { type: string } };
        if (reply.result?.type === 'data')
          texts.set(reply.id, [...(texts.get(reply.id) ?? []), text]);
        if (reply.result?.type === 'stopped' && ++stopped === subscriptions) resolve();
      });
    });
    for (let id = 1; id <= subscriptions; id++) {
      const params = { path: 'flood', input: superjson.serialize({ count: each }) };
      ws.send(JSON.stringify({ id, method: 'subscription', params }));
    }
    ws.pause();
    try {
      expect(await takenOnceSettled()).toBeLessThan((subscriptions * each) / 2);
      ws.resume();
      await allStopped;
      for (let id = 1; id <= subscriptions; id++) {
        expect(numbersIn(texts.get(id) ?? [])).toEqual(
          Array.from({ length: each }, (_, i) => i + 1),
        );
      }
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      ws.close();
    }
  });
});
