import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import type { Limits } from '../config/define-config.ts';
import { startServer } from './create-server.ts';

async function withServer(
  limits: Partial<Limits>,
  test: (url: string, server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
) {
  const agents = [new Agent({ id: 'slow', model: new DemoModel({ chunkDelayMs: 40 }) })];
  const server = await startServer({ store: new MemoryStore(), agents, limits }, { port: 0 });
  try {
    await test(server.url, server);
  } finally {
    await server.close(100);
  }
}

const start = (url: string) =>
  fetch(`${url}/trpc/runs.start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { agentId: 'slow', input: 'tell me a long story' } }),
  });

describe('limits', () => {
  it('rate-limits each user with TOO_MANY_REQUESTS and a Retry-After header', async () => {
    await withServer({ requestsPerMinute: 6 }, async (url) => {
      expect((await fetch(`${url}/trpc/agents.list`)).status).toBe(200);
      const limited = await fetch(`${url}/trpc/agents.list`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await limited.json()) as {
        error: { json: { data: { code: string; retryAfter: number } } };
      };
      expect(body.error.json.data).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        retryAfter: expect.any(Number),
      });
    });
  });

  it('caps the runs a server runs at once', async () => {
    await withServer({ maxRunningRuns: 1 }, async (url) => {
      expect((await start(url)).status).toBe(200);
      const second = await start(url);
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('1');
    });
  });

  it('refuses a stream over its limit with a 429 whose body is plain JSON, without a stack', async () => {
    await withServer({ maxRunningRuns: 1 }, async (url) => {
      expect((await start(url)).status).toBe(200);
      const input = encodeURIComponent(JSON.stringify({ json: { agentId: 'slow', input: 'hi' } }));
      const refused = await fetch(`${url}/trpc/runs.stream?input=${input}`, {
        headers: { accept: 'text/event-stream' },
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      const body = (await refused.json()) as { error: Record<string, { data: object }> };
      // Nothing for superjson to annotate: the shape went out without its walk.
      expect(Object.keys(body.error)).toEqual(['json']);
      expect(body.error.json?.data).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        agentRpcCode: 'RATE_LIMITED',
        retryAfter: 1,
      });
      expect(body.error.json?.data).not.toHaveProperty('stack');
    });
  });

  it('ends a run that goes on too long as RUN_TIMEOUT', async () => {
    await withServer({ runTimeoutMs: 150 }, async (url, server) => {
      const res = await start(url);
      const { runId } = ((await res.json()) as { result: { data: { json: { runId: string } } } })
        .result.data.json;
      await expect
        .poll(async () => (await server.services.store.getRun({ userId: 'local', runId }))?.status)
        .toBe('error');
      const run = await server.services.store.getRun({ userId: 'local', runId });
      expect(run?.error).toMatchObject({
        code: 'RUN_TIMEOUT',
        message: expect.stringContaining('0 s'),
      });
    });
  });
});
