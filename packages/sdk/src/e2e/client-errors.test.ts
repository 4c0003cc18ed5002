// What a caller can act on when a call fails: the typed code, agentrpc's own
// code, the server's retry hint, and client-side failures named as such.
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRpcClientError, createClient } from '../index.ts';

let server: AgentRpcServer;

beforeAll(async () => {
  server = await startServer(
    {
      store: new MemoryStore(),
      agents: [new Agent({ id: 'a', model: new DemoModel({ chunkDelayMs: 0 }) })],
      // A burst of 1: the second call in a row is refused.
      limits: { requestsPerMinute: 6 },
      auth: { apiKeys: [{ key: 'k', userId: 'u' }] },
    },
    { port: 0 },
  );
});

afterAll(() => server.close(100));

describe('AgentRpcClientError', () => {
  it("carries TOO_MANY_REQUESTS with agentrpc's code and the server's retryAfter", async () => {
    const client = createClient({ url: server.url, apiKey: 'k' });
    const failures: AgentRpcClientError[] = [];
    for (let i = 0; i < 3; i++) {
      await client.agents.list().catch((error: AgentRpcClientError) => failures.push(error));
    }
    expect(failures.length).toBeGreaterThan(0);
    const [refused] = failures;
    expect(refused).toBeInstanceOf(AgentRpcClientError);
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', agentRpcCode: 'RATE_LIMITED' });
    expect(refused?.retryAfter).toBeGreaterThan(0);
  });

  it("says WEBSOCKET_UNAVAILABLE on the client's side where the runtime has no WebSocket", () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      expect(() => createClient({ url: server.url, transport: 'ws' })).toThrow(
        expect.objectContaining({ code: 'WEBSOCKET_UNAVAILABLE' }),
      );
      // One given in the options is used instead.
      expect(() =>
        createClient({ url: server.url, transport: 'ws', WebSocket: saved as typeof WebSocket }),
      ).not.toThrow();
    } finally {
      global.WebSocket = saved;
    }
  });
});
