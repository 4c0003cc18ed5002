// A saturated server refuses new runs before they start, with TOO_MANY_REQUESTS
// and a Retry-After, over every transport; runs already going are not touched,
// and new runs are taken again once the load is gone. The load here is real:
// the test keeps the server's event loop busy in long turns, as hundreds of
// streams would.
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcClientError, createClient } from '../index.ts';

let server: AgentRpcServer;

beforeAll(async () => {
  server = await startServer(
    {
      store: new MemoryStore(),
      agents: [new Agent({ id: 'a', model: new DemoModel({ chunkDelayMs: 5 }) })],
      limits: { maxEventLoopDelayMs: 50 },
      auth: { apiKeys: [{ key: 'k', userId: 'u' }] },
    },
    { port: 0 },
  );
});

afterAll(() => server.close(100));

/** Keeps the event loop busy in turns of `turnMs` until the returned function is called. */
function saturate(turnMs: number): () => void {
  let busy = true;
  const turn = () => {
    if (!busy) return;
    const until = performance.now() + turnMs;
    while (performance.now() < until) {
      // a turn of work that does not yield
    }
    setTimeout(turn, 1);
  };
  turn();
  return () => {
    busy = false;
  };
}

const streamInput = { agentId: 'a', input: 'hello there' };

async function drain(client: ReturnType<typeof createClient>): Promise<string> {
  let text = '';
  for await (const event of client.runs.stream(streamInput)) {
    if (event.type === 'run.content') text += event.delta;
  }
  return text;
}

describe('load shedding', () => {
  it('refuses new runs with TOO_MANY_REQUESTS while saturated, and takes them again after', async () => {
    const sse = createClient({ url: server.url, apiKey: 'k' });
    const ws = createClient({ url: server.url, apiKey: 'k', transport: 'ws' });
    const runsURL = `${server.url}/trpc/runs.stream?input=${encodeURIComponent(JSON.stringify({ json: streamInput }))}`;
    const stop = saturate(120);
    try {
      // Over SSE as plain HTTP: a 429 with Retry-After, before any event.
      await expect
        .poll(
          async () => {
            const res = await fetch(runsURL, { headers: { authorization: 'Bearer k' } });
            const body = await res.text();
            return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
          },
          { timeout: 10_000, interval: 50 },
        )
        .toMatchObject({
          status: 429,
          retryAfter: '1',
          body: expect.stringContaining('saturated'),
        });
      // Through the SDK, over SSE and over WebSocket.
      for (const client of [sse, ws]) {
        const refused = (await drain(client).catch(
          (error: unknown) => error,
        )) as AgentRpcClientError;
        expect(refused).toMatchObject({
          code: 'TOO_MANY_REQUESTS',
          agentRpcCode: 'RATE_LIMITED',
          retryAfter: 1,
        });
        expect(refused.message).toContain('saturated');
      }
    } finally {
      stop();
    }
    await expect.poll(() => drain(sse).catch(() => ''), { timeout: 10_000 }).not.toBe('');
    expect(await drain(ws)).not.toBe('');
    sse.close();
    ws.close();
  });
});

describe('admission limit', () => {
  it('takes 64 runs at once on a fresh server and refuses the rest before they start', async () => {
    const fresh = await startServer(
      {
        store: new MemoryStore(),
        agents: [new Agent({ id: 'a', model: new DemoModel({ chunkDelayMs: 200 }) })],
        limits: {
          maxConcurrentRunsPerUser: 1000,
          requestsPerMinute: 10_000,
          // Admission stays on, but no loop here runs 10 s late: on a busy machine the
          // saturation refusal would otherwise take some of the first 64 too.
          maxEventLoopDelayMs: 10_000,
        },
        auth: { apiKeys: [{ key: 'k', userId: 'u' }] },
      },
      { port: 0 },
    );
    const client = createClient({ url: fresh.url, apiKey: 'k' });
    try {
      // The limit grows only a quarter per 250 ms, so 300 at once cannot all get in.
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, () =>
          client.runs.start(streamInput).then(
            () => 'started' as const,
            (error: unknown) => error as AgentRpcClientError,
          ),
        ),
      );
      const refused = outcomes.filter((outcome) => outcome !== 'started');
      expect(refused.length).toBeGreaterThan(0);
      expect(300 - refused.length).toBeGreaterThanOrEqual(64);
      for (const error of refused) {
        expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: 1 });
        expect(error.message).toMatch(/takes \d+ runs at once/);
      }
      // Operators see both in the metrics.
      const metrics = await fresh.services.metrics.registry.metrics();
      expect(metrics).toContain(`agentrpc_runs_refused_total{limit="admission"} ${refused.length}`);
      // Where the limit went after the burst: the refusals kept the loop busy, which may take it
      // under the runs going, never under half its start.
      const limit = Number(/agentrpc_admission_limit (\d+)/.exec(metrics)?.[1]);
      expect(limit).toBeGreaterThanOrEqual(32);
    } finally {
      client.close();
      await fresh.close(100);
    }
  });
});
