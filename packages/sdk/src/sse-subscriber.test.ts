// SseSubscriber against servers that misbehave: a real HTTP server each, no agentrpc behind it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRpcClientError } from './client-error.ts';
import { SseSubscriber } from './sse-subscriber.ts';

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

/** Serves `respond` for every request; resolves with the tRPC base URL and a request counter. */
async function serve(respond: Parameters<typeof createServer>[1]) {
  let requests = 0;
  server = createServer((req, res) => {
    requests++;
    respond?.(req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/trpc`, requests: () => requests };
}

function subscribe(url: string) {
  const subscriber = new SseSubscriber({ url, headers: async () => ({}), fetch });
  return new Promise<{ data: unknown[]; error: unknown }>((resolve) => {
    const data: unknown[] = [];
    subscriber.subscribe(
      'runs.events',
      { runId: 'r' },
      {
        onData: (value) => data.push(value),
        onError: (error) => resolve({ data, error }),
        onComplete: () => resolve({ data, error: undefined }),
      },
    );
  });
}

describe('SseSubscriber', () => {
  it('ends with a clear error on an unreadable event instead of reconnecting for ever', async () => {
    const { url, requests } = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: connected\ndata: {}\n\nid: r:1\ndata: {not json\n\n');
    });
    const { error } = await subscribe(url);
    expect(error).toBeInstanceOf(AgentRpcClientError);
    expect((error as AgentRpcClientError).message).toMatch(/unreadable event/);
    expect(requests()).toBe(1);
  });

  it('reports a refusal that is not an event stream with its status', async () => {
    const { url } = await serve((_, res) => {
      res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>bad request</h1>');
    });
    const { error } = await subscribe(url);
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect((error as Error).message).toMatch(/400/);
  });

  it('tries again while a gateway answers 502-504', async () => {
    const { url, requests } = await serve((_, res) => {
      if (requests() <= 2) {
        res.writeHead(503).end('restarting');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: connected\ndata: {}\n\nevent: return\ndata: \n\n');
    });
    const { error } = await subscribe(url);
    expect(error).toBeUndefined();
    expect(requests()).toBe(3);
  });

  it('reconnects after a cut and resumes with Last-Event-ID', async () => {
    const seen: (string | undefined)[] = [];
    const event = (id: string, n: number) =>
      `id: ${id}\ndata: ${JSON.stringify({ json: { n } })}\n\n`;
    const { url } = await serve((req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (seen.length === 1) res.end(`event: connected\ndata: {}\n\n${event('r:1', 1)}`);
      else res.end(`${event('r:2', 2)}event: return\ndata: \n\n`);
    });
    const { data, error } = await subscribe(url);
    expect(error).toBeUndefined();
    expect(data).toEqual([
      { id: 'r:1', data: { n: 1 } },
      { id: 'r:2', data: { n: 2 } },
    ]);
    expect(seen).toEqual([undefined, 'r:1']);
  });

  it('stays ended after `return` when the connection is then cut rather than ended', async () => {
    const { url, requests } = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: connected\ndata: {}\n\nevent: return\ndata: \n\n');
      setTimeout(() => res.socket?.destroy(), 50); // a proxy's reset, say
    });
    const calls: string[] = [];
    const subscriber = new SseSubscriber({ url, headers: async () => ({}), fetch });
    subscriber.subscribe(
      'runs.events',
      { runId: 'r' },
      {
        onData: () => calls.push('data'),
        onError: () => calls.push('error'),
        onComplete: () => calls.push('complete'),
      },
    );
    await expect.poll(() => calls).toEqual(['complete']);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the cut, and a reconnect's backoff
    expect(calls).toEqual(['complete']);
    expect(requests()).toBe(1);
  });
});
