// A client that takes nothing of its stream for limits.streamStallMs, its
// connection's buffers full, is cut off: its subscription slot comes back,
// and the run, which never waited for it, is all there for the next reader.
import { once } from 'node:events';
import http from 'node:http';
import { Agent, MemoryStore, OpenAIChat } from '@agentrpc/core';
import { createFakeOpenAI, type FakeOpenAI } from '@agentrpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AgentRpcServer, startServer } from './create-server.ts';

/** More than loopback's socket buffers hold both ways (a few MB each). */
const answer = 'x'.repeat(16 * 1024 * 1024);
const headers = { authorization: 'Bearer key-alice', accept: 'text/event-stream' };
const inputOf = (json: object) => encodeURIComponent(JSON.stringify({ json }));

describe('a stream whose client takes nothing', () => {
  let fake: FakeOpenAI;
  let server: AgentRpcServer;
  beforeAll(async () => {
    fake = await createFakeOpenAI({ fallback: () => ({ text: answer, chunkSize: 64 * 1024 }) });
    const model = new OpenAIChat({ id: 'm', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
    server = await startServer(
      {
        store: new MemoryStore(),
        agents: [new Agent({ id: 'big', model })],
        auth: { apiKeys: [{ key: 'key-alice', userId: 'alice' }] },
        // Long enough that a client reading on a busy machine never looks stalled.
        limits: { maxSubscriptionsPerUser: 1, streamStallMs: 2_000 },
      },
      { port: 0 },
    );
  });
  afterAll(async () => {
    await server?.close(100);
    await fake?.close();
  });

  /**
   * Polls runs.events for `runId` until the user's one slot is free again, and
   * checks what that took and that the subscription read the whole run.
   */
  async function expectSlotBackWithWholeRun(runId: string) {
    const started = performance.now();
    const follow = () =>
      fetch(`${server.url}/trpc/runs.events?input=${inputOf({ runId })}`, { headers });
    let next = await follow();
    while (next.status === 429 && performance.now() - started < 15_000) {
      await next.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
      next = await follow();
    }
    expect(next.status).toBe(200);
    const text = await next.text();
    const events = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('id: '))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)).json);
    const content = events
      .filter((event) => event.type === 'run.content')
      .map((event) => event.delta)
      .join('');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(content).toBe(answer);
    expect(events.at(-1)?.type).toBe('run.completed');
  }

  it('is cut off after streamStallMs over SSE, giving its slot back; the run is whole for the next reader', async () => {
    const url = `${server.url}/trpc/runs.stream?input=${inputOf({ agentId: 'big', input: 'hi', runId: 'held' })}`;
    const stalled = http.get(url, { headers });
    stalled.on('error', () => {}); // the cut-off shows here, if at all: nothing reads it
    const [response] = (await once(stalled, 'response')) as [http.IncomingMessage];
    expect(response.statusCode).toBe(200);
    response.pause(); // and never read again
    // While the stalled stream holds the user's one slot, another subscription is refused.
    await expectSlotBackWithWholeRun('held');
    stalled.destroy();
  }, 30_000);

  it('is cut off after streamStallMs over a WebSocket too', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/trpc`, { headers });
    ws.on('error', () => {});
    await once(ws, 'open');
    const input = { json: { agentId: 'big', input: 'hi', runId: 'held-ws' } };
    ws.send(
      JSON.stringify({ id: 1, method: 'subscription', params: { path: 'runs.stream', input } }),
    );
    ws.pause(); // and never read again
    await expectSlotBackWithWholeRun('held-ws');
    ws.terminate();
  }, 30_000);
});
