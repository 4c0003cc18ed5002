// Property-based checks over the whole router: random and malformed input to
// every procedure never gets a 5xx, never crashes the server and never shows
// one user another user's data.
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';
import { appRouter } from './app-router.ts';

let server: AgentRpcServer;
const secrets: string[] = [];
/** Everything Bob has sent so far. */
const sentByBob: string[] = [];

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
).map(([path, procedure]) => ({ path, type: procedure._def.type }));

async function call(path: string, type: string, input: unknown, key: string) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const envelope = JSON.stringify({ json: input });
  if (type === 'mutation') {
    return fetch(`${server.url}/trpc/${path}`, { method: 'POST', headers, body: envelope });
  }
  // Queries and subscriptions take the input in the URL; a subscription is read briefly.
  return fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(envelope)}`, {
    headers,
    signal: AbortSignal.timeout(type === 'subscription' ? 300 : 5000),
  });
}

async function bodyOf(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch {
    return ''; // a subscription cut by its timeout
  }
}

beforeAll(async () => {
  server = await startServer(
    {
      store: new MemoryStore(),
      agents: [
        new Agent({
          id: 'echo',
          model: new DemoModel({ chunkDelayMs: 0 }),
          memory: { tool: true, extract: false },
        }),
      ],
      limits: { requestsPerMinute: 1_000_000 },
      auth: {
        apiKeys: [
          { key: 'key-alice', userId: 'alice' },
          { key: 'key-bob', userId: 'bob' },
        ],
      },
    },
    { port: 0 },
  );
  // Alice's data, whose ids must never show up in Bob's answers.
  const started = await call(
    'runs.start',
    'mutation',
    { agentId: 'echo', input: 'alice private note', sessionName: 'alice-secret-session' },
    'key-alice',
  );
  const { runId, sessionId } = (
    (await started.json()) as { result: { data: { json: { runId: string; sessionId: string } } } }
  ).result.data.json;
  const memory = await call(
    'memories.create',
    'mutation',
    { memory: 'alice-secret-memory' },
    'key-alice',
  );
  const memoryId = ((await memory.json()) as { result: { data: { json: { memoryId: string } } } })
    .result.data.json.memoryId;
  secrets.push(
    runId,
    sessionId,
    memoryId,
    'alice-secret-session',
    'alice-secret-memory',
    'alice private note',
  );
  while (server.services.runs.activeCount > 0)
    await new Promise((resolve) => setTimeout(resolve, 10));
});
afterAll(() => server.close(100));

/** Inputs shaped like the real ones, with Alice's ids mixed in, plus arbitrary JSON. */
const inputs = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      agentId: fc.oneof(fc.constant('echo'), fc.string()),
      input: fc.oneof(fc.string(), fc.jsonValue()),
      runId: fc.oneof(fc.constantFrom(...['x']), fc.string(), fc.constant('RUN')),
      sessionId: fc.oneof(fc.string(), fc.constant('SESSION')),
      memoryId: fc.oneof(fc.string(), fc.constant('MEMORY')),
      lastEventId: fc.oneof(fc.string(), fc.constant('RUN:1')),
      name: fc.string(),
      state: fc.jsonValue(),
      limit: fc.oneof(fc.integer(), fc.double()),
      cursor: fc.string(),
      approvals: fc.dictionary(fc.string(), fc.jsonValue()),
      images: fc.array(fc.jsonValue(), { maxLength: 3 }),
      userId: fc.oneof(fc.constant('alice'), fc.string()),
    },
    { requiredKeys: [] },
  ),
);

/** Puts Alice's real ids where the generator left placeholders. */
function withAliceIds(input: unknown): unknown {
  const [runId, sessionId, memoryId] = secrets;
  return JSON.parse(
    JSON.stringify(input ?? null)
      .replaceAll('"RUN:1"', `"${runId}:1"`)
      .replaceAll('"RUN"', `"${runId}"`)
      .replaceAll('"SESSION"', `"${sessionId}"`)
      .replaceAll('"MEMORY"', `"${memoryId}"`),
  );
}

describe('fuzzing every procedure', () => {
  it.each(procedures)('$path: no 5xx, no crash, no other user data', async ({ path, type }) => {
    await fc.assert(
      fc.asyncProperty(inputs, async (raw) => {
        const input = withAliceIds(raw);
        const res = await call(path, type, input, 'key-bob');
        const body = await bodyOf(res);
        expect(res.status, `${path} answered ${res.status}: ${body.slice(0, 300)}`).toBeLessThan(
          500,
        );
        // Ids are per user: Bob may hold ids equal to Alice's once he has sent them
        // (his own session or run of that id). Nothing else of Alice's may appear.
        sentByBob.push(JSON.stringify(input));
        for (const secret of secrets)
          if (!sentByBob.some((sent) => sent.includes(secret))) expect(body).not.toContain(secret);
      }),
      { numRuns: type === 'subscription' ? 15 : 40 },
    );
    // The server is still up and answering.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
