// A server that refuses new runs says so before it does anything else for
// them, in the same 429 as from the procedure: over SSE before the credential
// is checked, over WebSocket (authenticated already) before the procedure,
// where a run of the caller's going here is still followed, and on the /v1
// facade before the credential or the body. The same holds for runs.start and
// runs.continue, which take a run slot too: over HTTP before the credential
// or the body (unless batched), over WebSocket before the procedure. A
// request that resumes is never refused this way.
import { once } from 'node:events';
import http from 'node:http';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { AgentRpcClientError, createClient } from '@agentrpc/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';

const keys = { good: 'Bearer key-alice', bad: 'Bearer not-a-key' };

/** A runs.stream over SSE, read to its end. */
async function stream(url: string, options: { runId: string; key: string; lastEventId?: string }) {
  const input = encodeURIComponent(
    JSON.stringify({ json: { agentId: 'slow', input: 'hi', runId: options.runId } }),
  );
  const response = await fetch(`${url}/trpc/runs.stream?input=${input}`, {
    headers: {
      authorization: options.key,
      accept: 'text/event-stream',
      ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
    },
  });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), text };
}

/** A runs.stream over the server's WebSocket: how it ended, an error code or the last event's type. */
async function wsStream(url: string, runId: string): Promise<string> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc`, {
    headers: { authorization: keys.good },
  });
  await once(ws, 'open');
  const ended = new Promise<string>((resolve) => {
    let last = '';
    ws.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as {
        result?: { type: string; data?: { json: { data: { type: string } } } };
        error?: { json: { data: { code: string } } };
      };
      if (reply.error) resolve(reply.error.json.data.code);
      if (reply.result?.type === 'data') last = reply.result.data?.json.data.type ?? '';
      if (reply.result?.type === 'stopped') resolve(last);
    });
  });
  const input = { json: { agentId: 'slow', input: 'hi', runId } };
  ws.send(
    JSON.stringify({ id: 1, method: 'subscription', params: { path: 'runs.stream', input } }),
  );
  try {
    return await ended;
  } finally {
    ws.close();
  }
}

/** Refused for its credential: the SSE transport's error event, after the stream opened. */
const unauthorized = (result: { status: number; text: string }) =>
  result.status === 200 &&
  result.text.includes('event: serialized-error') &&
  result.text.includes('"UNAUTHORIZED"');

/** Runs refused at the server's running-runs limit, from its metrics. */
async function refusedCount(server: AgentRpcServer) {
  const text = await server.services.metrics.registry.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('agentrpc_runs_refused_total{limit="running_runs"}'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

/** A request on `agent`'s one socket: its status, body and whether it reused the socket. */
function request(
  url: string,
  options: { agent: http.Agent; method: string; key: string; body?: string },
): Promise<{ status: number; body: string; retryAfter?: string; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method,
        agent: options.agent,
        headers: { authorization: options.key, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (piece: string) => {
          body += piece;
        });
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(retryAfter ? { retryAfter } : {}),
            reusedSocket: req.reusedSocket,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('refusing a new run before its procedure', () => {
  const store = new MemoryStore();
  let server: AgentRpcServer;
  /** Another instance on the same store, where a run goes that is not going on `server`. */
  let other: AgentRpcServer;
  beforeAll(async () => {
    // Each instance its own agent, as each process has; the store is what they share.
    const config = () => ({
      store,
      agents: [new Agent({ id: 'slow', model: new DemoModel({ chunkDelayMs: 30 }) })],
      auth: { apiKeys: [{ key: 'key-alice', userId: 'alice' }] },
      limits: { maxRunningRuns: 1 },
    });
    [server, other] = await Promise.all([
      startServer(config(), { port: 0 }),
      startServer(config(), { port: 0 }),
    ]);
  });
  afterAll(() => Promise.all([server.close(100), other.close(100)]));

  it('refuses before the credential over SSE, before the procedure over WebSocket, and never a resume', async () => {
    const elsewhere = await stream(other.url, { runId: 'elsewhere', key: keys.good });
    expect(elsewhere.text).toContain('run.completed');
    const held = stream(server.url, { runId: 'held', key: keys.good });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const before = await refusedCount(server);

    const refused = await stream(server.url, { runId: 'new-1', key: keys.good });
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
    const body = JSON.parse(refused.text) as { error: { json: { data: object } } };
    expect(body.error.json.data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      agentRpcCode: 'RATE_LIMITED',
      retryAfter: 1,
    });
    expect(await refusedCount(server)).toBe(before + 1);
    // Over SSE nothing is read before the refusal: not the key, not the run it names.
    expect((await stream(server.url, { runId: 'new-2', key: keys.bad })).status).toBe(429);
    expect((await stream(server.url, { runId: 'elsewhere', key: keys.good })).status).toBe(429);
    expect((await stream(server.url, { runId: 'held', key: keys.good })).status).toBe(429);
    // A resume goes to its procedure: the key is checked, and the run going here followed.
    const stranger = await stream(server.url, {
      runId: 'held',
      key: keys.bad,
      lastEventId: 'held:1',
    });
    expect(unauthorized(stranger)).toBe(true);
    const resumed = stream(server.url, { runId: 'held', key: keys.good, lastEventId: 'held:1' });
    // Over WebSocket, new runs and runs not going here are refused; the run going here is followed.
    expect(await wsStream(server.url, 'elsewhere')).toBe('TOO_MANY_REQUESTS');
    expect(await wsStream(server.url, 'new-3')).toBe('TOO_MANY_REQUESTS');
    const overWebSocket = wsStream(server.url, 'held');
    expect(await refusedCount(server)).toBe(before + 6);

    for (const reader of [await held, await resumed]) {
      expect(reader.status).toBe(200);
      expect(reader.text).toContain('run.completed');
    }
    expect(await overWebSocket).toBe('run.completed');

    // With the slot free again, the run from the other instance is followed, and new ones start.
    const followed = await stream(server.url, { runId: 'elsewhere', key: keys.good });
    expect(followed.text).toContain('run.completed');
    const after = await stream(server.url, { runId: 'new-1', key: keys.good });
    expect(after.status).toBe(200);
    expect(after.text).toContain('run.completed');
    expect(unauthorized(await stream(server.url, { runId: 'new-4', key: keys.bad }))).toBe(true);
  });

  it('refuses runs.start and runs.continue the same way, over HTTP and WebSocket', async () => {
    const held = stream(server.url, { runId: 'held-again', key: keys.good });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const before = await refusedCount(server);

    const sdk = createClient({ url: server.url, apiKey: 'key-alice' });
    const refused = await sdk.runs.start({ agentId: 'slow', input: 'hi' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgentRpcClientError);
    expect(refused).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      agentRpcCode: 'RATE_LIMITED',
      retryAfter: 1,
    });
    // Over HTTP neither the key nor the body is read, and the socket serves the next request.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const path of ['runs.start', 'runs.continue']) {
        const stranger = await request(`${server.url}/trpc/${path}`, {
          agent,
          method: 'POST',
          key: keys.bad,
          body: 'not json',
        });
        expect(stranger).toMatchObject({ status: 429, retryAfter: '1' });
        expect(JSON.parse(stranger.body)).toMatchObject({
          error: { json: { data: { code: 'TOO_MANY_REQUESTS', agentRpcCode: 'RATE_LIMITED' } } },
        });
      }
      // A batch goes to its procedures, which check the key first.
      const batched = await request(`${server.url}/trpc/runs.start?batch=1`, {
        agent,
        method: 'POST',
        key: keys.bad,
        body: JSON.stringify({ 0: { json: { agentId: 'slow', input: 'hi' } } }),
      });
      expect(batched).toMatchObject({ status: 401, reusedSocket: true });
    } finally {
      agent.destroy();
    }
    // Over WebSocket, before the procedure: an input it would refuse as bad gets the 429.
    const ws = createClient({ url: server.url, apiKey: 'key-alice', transport: 'ws' });
    try {
      const overWs = await ws.runs.start({ agentId: 'slow', input: '' }).catch((e: unknown) => e);
      expect(overWs).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: 1 });
    } finally {
      ws.close();
    }
    expect(await refusedCount(server)).toBe(before + 4);

    expect((await held).text).toContain('run.completed');
    // With the slot free, calls reach their procedures again.
    const badInput = await sdk.runs.start({ agentId: 'slow', input: '' }).catch((e: unknown) => e);
    expect(badInput).toMatchObject({ code: 'BAD_REQUEST' });
    const started = await sdk.runs.start({ agentId: 'slow', input: 'hi' });
    expect(started.runId).toBeTruthy();
  });
});

describe('refusing a /v1 chat completion before its credential and body', () => {
  let server: AgentRpcServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startServer(
      {
        store: new MemoryStore(),
        // Some 3 s a run: the one slot stays taken while the test asks for more.
        agents: [new Agent({ id: 'slow', model: new DemoModel({ chunkDelayMs: 100 }) })],
        auth: { apiKeys: [{ key: 'key-alice', userId: 'alice' }] },
        limits: { maxRunningRuns: 1 },
      },
      { port: 0 },
    );
    client = new OpenAI({ apiKey: 'key-alice', baseURL: `${server.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => server.close(100));

  it('answers 429 with Retry-After without reading either, and keeps the connection', async () => {
    const holding = new AbortController();
    const held = await client.chat.completions.create(
      { model: 'slow', messages: [{ role: 'user', content: 'hold' }], stream: true },
      { signal: holding.signal },
    );
    const heldChunks = held[Symbol.asyncIterator]();
    expect((await heldChunks.next()).done).toBe(false);
    const before = await refusedCount(server);

    const refused = await client.chat.completions
      .create({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimited = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimited.headers?.get('retry-after')).toBe('1');
    expect(rateLimited.error).toMatchObject({
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
    });

    // Neither the key nor the body is read: a stranger with a body that is not JSON gets the
    // same 429, and the unread body is let go so the next request on that socket is answered.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const stranger = await request(`${server.url}/v1/chat/completions`, {
        agent,
        method: 'POST',
        key: 'Bearer not-a-key',
        body: `not json ${'x'.repeat(100_000)}`,
      });
      expect(stranger).toMatchObject({ status: 429, retryAfter: '1' });
      expect(JSON.parse(stranger.body)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      const next = await request(`${server.url}/v1/models`, {
        agent,
        method: 'GET',
        key: 'Bearer key-alice',
      });
      expect(next).toMatchObject({ status: 200, reusedSocket: true });
      expect(JSON.parse(next.body)).toMatchObject({ data: [{ id: 'slow' }] });
    } finally {
      agent.destroy();
    }
    expect(await refusedCount(server)).toBe(before + 2);

    // Closing the held stream cancels its run; with the slot free, the key is checked again
    // and a completion runs.
    holding.abort();
    await expect.poll(() => server.services.runs.activeCountFor('alice')).toBe(0);
    const answered = await client.chat.completions.create({
      model: 'slow',
      messages: [{ role: 'user', content: 'now' }],
    });
    expect(answered.choices[0]?.message.content).toContain('You said: "now"');
    const stranger = new OpenAI({
      apiKey: 'not-a-key',
      baseURL: `${server.url}/v1`,
      maxRetries: 0,
    });
    const unauthorized = await stranger.models.list().catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
