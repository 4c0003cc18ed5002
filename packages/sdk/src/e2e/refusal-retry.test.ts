// A client with `retryRefusals` waits out a server that refused its call
// before doing anything (TOO_MANY_REQUESTS with Retry-After) and tries again,
// over SSE and WebSocket, for streams and for mutations; it gives up on a
// Retry-After longer than it may wait, and stops waiting when the caller
// stops. The server runs one run at a time (`limits.maxRunningRuns: 1`), and
// a run another client holds open is what refuses the others.
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcClientError, createClient } from '../index.ts';

let server: AgentRpcServer;
const auth = { url: '', apiKey: 'k' };

beforeAll(async () => {
  server = await startServer(
    {
      store: new MemoryStore(),
      agents: [new Agent({ id: 'a', model: new DemoModel({ chunkDelayMs: 20 }) })],
      limits: { maxRunningRuns: 1, maxEventLoopDelayMs: 0 },
      auth: { apiKeys: [{ key: 'k', userId: 'u' }] },
    },
    { port: 0 },
  );
  auth.url = server.url;
});

afterAll(() => server.close(100));

/** Runs refused so far because the server ran its one run. */
async function refusals(): Promise<number> {
  const metrics = await server.services.metrics.registry.metrics();
  return Number(
    /agentrpc_runs_refused_total\{limit="running_runs"\} (\d+)/.exec(metrics)?.[1] ?? 0,
  );
}

/** Starts a long run and holds it until the returned function is called, which cancels it. */
async function holdTheOneRun(): Promise<() => Promise<void>> {
  const holder = createClient(auth);
  const runId = globalThis.crypto.randomUUID();
  const events = holder.runs.stream({ agentId: 'a', input: 'hold '.repeat(400), runId });
  await events.next();
  return async () => {
    // A run goes on when its reader leaves (it can be resumed): it is cancelled.
    await holder.runs.cancel({ runId });
    await textOf(events);
    holder.close();
  };
}

async function textOf(events: AsyncIterable<{ type: string; delta?: string }>): Promise<string> {
  let text = '';
  for await (const event of events) if (event.type === 'run.content') text += event.delta;
  return text;
}

describe.each(['sse', 'ws'] as const)('retryRefusals over %s', (transport) => {
  it('streams a run the server refused at first, once its Retry-After has passed', async () => {
    const release = await holdTheOneRun();
    const client = createClient({ ...auth, transport, retryRefusals: { maxRetries: 5 } });
    const before = await refusals();
    const text = textOf(client.runs.stream({ agentId: 'a', input: 'after the wait' }));
    await expect.poll(refusals, { timeout: 5_000 }).toBeGreaterThan(before);
    await release();
    expect(await text).toContain('after the wait');
    client.close();
  });

  it('throws the refusal at once when the server asks a longer wait than allowed', async () => {
    const release = await holdTheOneRun();
    // The server asks for 1 s.
    const client = createClient({
      ...auth,
      transport,
      retryRefusals: { maxRetries: 5, maxWaitMs: 500 },
    });
    const before = await refusals();
    const refused = (await textOf(client.runs.stream({ agentId: 'a', input: 'x' })).catch(
      (error: unknown) => error,
    )) as AgentRpcClientError;
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: 1 });
    expect(await refusals()).toBe(before + 1);
    await release();
    client.close();
  });
});

describe('retryRefusals', () => {
  it('tries a refused mutation again', async () => {
    const release = await holdTheOneRun();
    const client = createClient({ ...auth, retryRefusals: { maxRetries: 5 } });
    const before = await refusals();
    const started = client.runs.start({ agentId: 'a', input: 'started later' });
    await expect.poll(refusals, { timeout: 5_000 }).toBeGreaterThan(before);
    await release();
    const { runId } = await started;
    await expect
      .poll(async () => (await client.runs.get({ runId })).status, { timeout: 10_000 })
      .toBe('completed');
    client.close();
  });

  it('stops waiting when the caller aborts, and asks no more', async () => {
    const release = await holdTheOneRun();
    const client = createClient({ ...auth, retryRefusals: { maxRetries: 5 } });
    const before = await refusals();
    const abort = new AbortController();
    const runId = globalThis.crypto.randomUUID();
    const text = textOf(
      client.runs.stream({ agentId: 'a', input: 'never', runId }, { signal: abort.signal }),
    );
    await expect.poll(refusals, { timeout: 5_000 }).toBe(before + 1);
    abort.abort();
    expect(await text).toBe('');
    await release();
    // Past the Retry-After (1 s, and up to a quarter more): nothing asked again, no run made.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await refusals()).toBe(before + 1);
    await expect(client.runs.get({ runId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    client.close();
  });

  it('ends the waiting with CLIENT_CLOSED_REQUEST when the client closes', async () => {
    const release = await holdTheOneRun();
    const client = createClient({ ...auth, retryRefusals: { maxRetries: 5 } });
    const before = await refusals();
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'answered',
        (error: AgentRpcClientError) => error.code,
      );
    const stream = outcome(textOf(client.runs.stream({ agentId: 'a', input: 'closed' })));
    const started = outcome(client.runs.start({ agentId: 'a', input: 'closed' }));
    await expect.poll(refusals, { timeout: 5_000 }).toBe(before + 2);
    client.close();
    expect(await stream).toBe('CLIENT_CLOSED_REQUEST');
    expect(await started).toBe('CLIENT_CLOSED_REQUEST');
    // Past the Retry-After, with the run still held: nothing was asked again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await refusals()).toBe(before + 2);
    await release();
  });
});
