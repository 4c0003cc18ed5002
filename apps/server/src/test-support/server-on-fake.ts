// Shared setup for server tests whose agents talk to the fake provider: the
// fake, a memory store and a real server on port 0, started before the file's
// tests and stopped after them.
import { type Agent, MemoryStore, OpenAIChat } from '@agentrpc/core';
import { createFakeOpenAI, type FakeOpenAI } from '@agentrpc/testing';
import { afterAll, beforeAll } from 'vitest';
import type { ServerConfig } from '../config/define-config.ts';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';

export interface ServerOnFake {
  fake: FakeOpenAI;
  store: MemoryStore;
  server: AgentRpcServer;
}

/** The file's server; read its fields inside tests (they are set in beforeAll). */
export function useServerOnFake(
  setup: (model: OpenAIChat) => Omit<ServerConfig, 'store'> & { agents: Agent[] },
): ServerOnFake {
  const world = {} as ServerOnFake;
  beforeAll(async () => {
    world.fake = await createFakeOpenAI();
    world.store = new MemoryStore();
    const model = new OpenAIChat({
      id: 'gpt-4o-mini',
      apiKey: 'k',
      baseURL: world.fake.baseURL,
      maxRetries: 0,
    });
    world.server = await startServer({ ...setup(model), store: world.store }, { port: 0 });
  });
  afterAll(async () => {
    await world.server?.close(100);
    await world.fake?.close();
  });
  return world;
}
