// How long the server keeps a client's idle connection, and that it says so:
// a client (or a load balancer) reuses a connection only as long as the
// server keeps it, or its request can meet the server's close.
import { get, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from './create-server.ts';

const agents = () => [new Agent({ id: 'a', model: new DemoModel() })];
let plain: AgentRpcServer;
let short: AgentRpcServer;
beforeAll(async () => {
  plain = await startServer({ store: new MemoryStore(), agents: agents() }, { port: 0 });
  short = await startServer(
    { store: new MemoryStore(), agents: agents(), keepAliveTimeoutMs: 5_000 },
    { port: 0 },
  );
});
afterAll(async () => {
  await plain?.close(100);
  await short?.close(100);
});

/** The headers of a GET on a kept-alive connection, the body read to its end. */
async function headersOf(url: string) {
  const agent = new HttpAgent({ keepAlive: true });
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      get(url, { agent }, resolve).on('error', reject),
    );
    for await (const _ of response);
    return response.headers;
  } finally {
    agent.destroy();
  }
}

describe('keepAliveTimeoutMs', () => {
  it("keeps an idle connection 65 s by default, past a load balancer's 60, and says so", async () => {
    const headers = await headersOf(`${plain.url}/healthz`);
    expect(headers.connection).toBe('keep-alive');
    expect(headers['keep-alive']).toBe('timeout=65');
    const input = encodeURIComponent(JSON.stringify({ json: { runId: 'none' } }));
    const stream = await headersOf(`${plain.url}/trpc/runs.events?input=${input}`);
    expect(stream['content-type']).toBe('text/event-stream');
    expect(stream['keep-alive']).toBe('timeout=65');
  });

  it('keeps it as long as the config says', async () => {
    expect((await headersOf(`${short.url}/healthz`))['keep-alive']).toBe('timeout=5');
  });
});
