// Test harness: a fake OpenAI upstream, a real agentrpc server on port 0 behind
// a TCP proxy (to cut connections), and SDK clients for two users.
import { Agent, defineTool, MemoryStore, OpenAIChat } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import {
  createFakeOpenAI,
  createTcpProxy,
  type FakeOpenAI,
  type TcpProxy,
} from '@agentrpc/testing';
import { z } from 'zod';
import { type AgentRpcClient, createClient } from '../index.ts';

export const jwtSecret = 'test-secret-that-is-long-enough-for-hs256';

export interface Harness {
  fake: FakeOpenAI;
  server: AgentRpcServer;
  proxy: TcpProxy;
  alice: AgentRpcClient;
  bob: AgentRpcClient;
  client(options: { apiKey?: string; getToken?: () => string }): AgentRpcClient;
  close(): Promise<void>;
}

export async function startHarness(
  transport: 'sse' | 'ws',
  options: { serverTransports?: 'agentrpc' | 'trpc' } = {},
): Promise<Harness> {
  const fake = await createFakeOpenAI();
  const model = new OpenAIChat({
    id: 'gpt-4o-mini',
    apiKey: 'k',
    baseURL: fake.baseURL,
    maxRetries: 0,
  });
  const weather = defineTool({
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: z.object({ city: z.string() }),
    execute: ({ city }) => ({ city, tempC: 21 }),
  });
  const refund = defineTool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ amount: z.number() }),
    requiresConfirmation: true,
    execute: ({ amount }) => ({ refunded: amount }),
  });
  const server = await startServer(
    {
      store: new MemoryStore(),
      agents: [
        new Agent({ id: 'weather', model, tools: [weather, refund] }),
        new Agent({
          id: 'extract',
          model,
          outputSchema: z.object({ city: z.string(), tempC: z.number() }),
        }),
      ],
      limits: { requestsPerMinute: 1_000_000 },
      auth: {
        apiKeys: [
          { key: 'key-alice', userId: 'alice' },
          { key: 'key-bob', userId: 'bob' },
          { key: 'key-admin', userId: 'root', roles: ['admin'] },
        ],
        jwt: { secret: jwtSecret, issuer: 'tests', audience: 'agentrpc' },
      },
    },
    { port: 0, transports: options.serverTransports ?? 'agentrpc' },
  );
  const proxy = await createTcpProxy({ port: server.port });
  const clients: AgentRpcClient[] = [];
  const client = (options: { apiKey?: string; getToken?: () => string }) => {
    const c = createClient({ url: proxy.url, transport, ...options });
    clients.push(c);
    return c;
  };
  return {
    fake,
    server,
    proxy,
    alice: client({ apiKey: 'key-alice' }),
    bob: client({ apiKey: 'key-bob' }),
    client,
    close: async () => {
      for (const c of clients) c.close();
      await proxy.close();
      await server.close(1000);
      await fake.close();
    },
  };
}
