// A run's stream ends with its terminal event even when the store is slow: the
// terminal event waits for the event log, and the run's live hub must not
// close before it is published, or its readers end without it.
import { Agent, DemoModel, MemoryStore, type Store } from '@agentrpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';
import { sleep } from './wait.ts';

/** A memory store whose event appends take `delayMs`, as a busy database's do. */
function slowAppends(delayMs: number): Store {
  const memory = new MemoryStore();
  return new Proxy(memory, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // Called on the store itself: its methods use private fields.
      if (property !== 'appendEventBatches') return value.bind(target);
      return async (...args: unknown[]) => {
        await sleep(delayMs);
        return value.apply(target, args);
      };
    },
  });
}

/** The event types a runs.stream call delivered, over SSE, in order. */
async function streamedTypes(url: string, input: string): Promise<string[]> {
  const body = encodeURIComponent(JSON.stringify({ json: { agentId: 'demo', input } }));
  const response = await fetch(`${url}/trpc/runs.stream?input=${body}`, {
    headers: { authorization: 'Bearer key-alice', accept: 'text/event-stream' },
  });
  const text = await response.text();
  return text.split('\n\n').flatMap((frame) => {
    const lines = frame.split('\n');
    const data = lines.find((line) => line.startsWith('data: '));
    if (!data || lines.some((line) => line.startsWith('event: '))) return [];
    return [(JSON.parse(data.slice(6)) as { json: { type: string } }).json.type];
  });
}

describe('the end of a run', () => {
  let server: AgentRpcServer;
  beforeAll(async () => {
    server = await startServer(
      {
        store: slowAppends(80),
        agents: [new Agent({ id: 'demo', model: new DemoModel({ chunkDelayMs: 15 }) })],
        auth: { apiKeys: [{ key: 'key-alice', userId: 'alice' }] },
        limits: { maxConcurrentRunsPerUser: 100 },
      },
      { port: 0 },
    );
  });
  afterAll(() => server.close(100));

  it('reaches every stream even when the log is writing as the run ends', async () => {
    // Staggered, so that some runs end while a log write of the others is in flight.
    const runs = Array.from({ length: 12 }, async (_, i) => {
      await sleep(i * 23);
      return streamedTypes(server.url, `question ${i}`);
    });
    for (const types of await Promise.all(runs)) {
      expect(types[0]).toBe('run.started');
      expect(types.at(-1)).toBe('run.completed');
    }
  });
});
