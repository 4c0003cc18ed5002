// runs.stream sent again with the same runId (a client that lost the reply)
// follows the run the first one started, rather than starting it twice, even
// when the user's run limit would refuse a new one.
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';

/** The demo model, counting the completions it is asked for (one per run started). */
class CountingModel extends DemoModel {
  asked = 0;
  override streamChunks(...args: Parameters<DemoModel['streamChunks']>) {
    this.asked++;
    return super.streamChunks(...args);
  }
}

/** The status and the data events of a runs.stream call over SSE, in order. */
async function stream(url: string, runId: string) {
  const body = encodeURIComponent(
    JSON.stringify({ json: { agentId: 'demo', input: 'hi', runId } }),
  );
  const response = await fetch(`${url}/trpc/runs.stream?input=${body}`, {
    headers: { authorization: 'Bearer key-alice', accept: 'text/event-stream' },
  });
  const text = await response.text();
  const events = text.split('\n\n').flatMap((frame) => {
    const lines = frame.split('\n');
    const data = lines.find((line) => line.startsWith('data: '));
    if (!data || lines.some((line) => line.startsWith('event: '))) return [];
    return [(JSON.parse(data.slice(6)) as { json: { type: string; seq: number } }).json];
  });
  return { status: response.status, events };
}

describe('runs.stream sent again', () => {
  let server: AgentRpcServer;
  const model = new CountingModel({ chunkDelayMs: 20 });
  beforeAll(async () => {
    server = await startServer(
      {
        store: new MemoryStore(),
        agents: [new Agent({ id: 'demo', model })],
        auth: { apiKeys: [{ key: 'key-alice', userId: 'alice' }] },
        limits: { maxConcurrentRunsPerUser: 1 },
      },
      { port: 0 },
    );
  });
  afterAll(() => server.close(100));

  it('follows the run it started, while it runs and after it ended', async () => {
    const first = stream(server.url, 'run-a');
    await new Promise((resolve) => setTimeout(resolve, 60));
    // At the user's limit of one run: a new run is refused, the same one is followed.
    const other = await stream(server.url, 'run-b');
    expect(other.status).toBe(429);
    const again = await stream(server.url, 'run-a');
    const done = await first;
    expect(done.events.at(-1)?.type).toBe('run.completed');
    expect(again.events).toEqual(done.events);
    const after = await stream(server.url, 'run-a');
    expect(after.events).toEqual(done.events);
    expect(model.asked).toBe(1);
  });
});
