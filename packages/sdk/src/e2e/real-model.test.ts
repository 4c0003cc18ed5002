// Against a real OpenAI-compatible server: llama.cpp (through llama-cpp-python)
// serving Gemma 3 270M, started by scripts/llama-server.sh. The model is small
// and says little of sense: these tests check the plumbing (events, statuses,
// schemas, counts), never the wording.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, defineTool, MemoryStore, providers, type RunEvent } from '@agentrpc/core';
import { type AgentRpcServer, startServer } from '@agentrpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../index.ts';
import { collect } from './events.ts';
import { repoRoot, run } from './pack-tools.ts';

const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython && process.env.CI === 'true') {
  throw new Error('CI needs python3 for the real model server (scripts/llama-server.sh)');
}

const port = 28_200 + Math.floor(Math.random() * 500);
let baseURL = '';

const model = () =>
  providers.llamaCpp({ id: 'gemma-3-270m', baseURL, maxTokens: 24, temperature: 0, maxRetries: 0 });

const Weather = z.object({ city: z.string(), tempC: z.number() });

let calls: unknown[] = [];
const weather = defineTool({
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => {
    calls.push(city);
    return { city, tempC: 21 };
  },
});

async function events(stream: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  for await (const event of stream) seen.push(event);
  return seen;
}

const describeReal = describe.skipIf(!hasPython);

describeReal(
  `a real llama.cpp server${hasPython ? '' : ': skipped, python3 is needed (scripts/llama-server.sh)'}`,
  () => {
    beforeAll(async () => {
      const script = join(repoRoot, 'scripts/llama-server.sh');
      baseURL = (await run(script, ['start', String(port)], repoRoot)).trim();
    }, 1_800_000);
    afterAll(() => {
      const pidFile = join(repoRoot, `.tools/llama/server-${port}.pid`);
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    });

    describe('through the core', () => {
      it('streams a reply, with token counts estimated and marked so', async () => {
        const agent = new Agent({ id: 'chat', model: model() });
        const seen = await events(agent.stream('Say hello.'));
        expect(seen[0]?.type).toBe('run.started');
        expect(seen.some((e) => e.type === 'run.content')).toBe(true);
        const last = seen.at(-1);
        expect(last?.type).toBe('run.completed');
        if (last?.type !== 'run.completed') return;
        expect(last.output.content.length).toBeGreaterThan(0);
        expect(last.output.metrics).toMatchObject({ usageEstimated: true, modelCalls: 1 });
        expect(last.output.metrics.inputTokens).toBeGreaterThan(0);
        expect(last.output.metrics.outputTokens).toBeGreaterThan(0);
      });

      it('holds a two-turn session', async () => {
        const store = new MemoryStore();
        const agent = new Agent({ id: 'chat', model: model(), store });
        const first = await agent.run('My name is Ada.');
        const second = await agent.run('What is my name?', { sessionId: first.sessionId });
        expect(second.status).toBe('completed');
        const session = await store.getSession({
          userId: 'anonymous',
          sessionId: first.sessionId,
        });
        expect(session?.runCount).toBe(2);
      });

      it('answers to a zod schema', async () => {
        // Room for the object: the model writes long numbers, and a cut answer is not JSON.
        const roomy = providers.llamaCpp({
          id: 'gemma-3-270m',
          baseURL,
          maxTokens: 128,
          temperature: 0,
          maxRetries: 0,
        });
        const agent = new Agent({ id: 'extract', model: roomy, outputSchema: Weather });
        const out = await agent.run('The weather in Oslo as JSON with city and tempC.');
        expect(Weather.safeParse(out.parsed).success).toBe(true);
      });

      it('falls back from json_schema by itself when the preset is not told, asking once', {
        timeout: 120_000,
      }, async () => {
        // A model that knows nothing of llama.cpp: it asks for json_schema, gets a 500
        // naming response_format, and must neither retry that 500 nor fail the run.
        let requests = 0;
        const counting: typeof fetch = (input, init) => {
          requests++;
          return fetch(input, init);
        };
        const plain = providers.compatible({
          id: 'gemma-3-270m',
          baseURL,
          maxTokens: 48,
          temperature: 0,
          maxRetries: 2,
          fetch: counting,
        });
        const agent = new Agent({ id: 'plain', model: plain, outputSchema: Weather });
        const seen = await events(agent.stream('The weather in Oslo as JSON with city and tempC.'));
        expect(seen.filter((e) => e.type === 'model.fallback')).toMatchObject([
          { from: 'json_schema', to: 'json_object' },
        ]);
        // Without the schema beside json_object this model may not write the object:
        // then the run ends BAD_OUTPUT after its repair turn, never PROVIDER_ERROR.
        const end = seen.at(-1);
        if (end?.type === 'run.error') expect(end.code).toBe('BAD_OUTPUT');
        else expect(end?.type).toBe('run.completed');
        // The refused request once, then one or two (a repair turn) in json_object.
        expect(requests).toBeGreaterThanOrEqual(2);
        expect(requests).toBeLessThanOrEqual(3);
      });

      it('makes a forced tool call with valid arguments, runs it, and ends within toolCallLimit', async () => {
        calls = [];
        const agent = new Agent({
          id: 'tools',
          model: model(),
          tools: [weather],
          toolChoice: { name: 'get_weather' },
          toolCallLimit: 1,
        });
        const seen = await events(agent.stream('What is the weather in Oslo?'));
        expect(calls).toHaveLength(1);
        expect(typeof calls[0]).toBe('string');
        expect(seen.some((e) => e.type === 'tool.completed')).toBe(true);
        const last = seen.at(-1);
        // Past the limit a small model may keep asking for tools: the run then
        // ends as TOOL_ERROR instead of looping; either way it ends.
        expect(['run.completed', 'run.error']).toContain(last?.type);
        if (last?.type === 'run.error') expect(last.code).toBe('TOOL_ERROR');
        expect(last && 'output' in last && last.output.metrics.modelCalls).toBeLessThanOrEqual(3);
      });

      it('cancels a run mid-stream, dropping its request to the server', async () => {
        // The model answers most prompts within 30 tokens, too soon to cut between
        // deltas; given a long count it echoes and goes on (some 40 ms a token), so the
        // run is cancelled with its answer streaming.
        const counting = Array.from({ length: 120 }, (_, i) => i + 1).join(', ');
        const long = providers.llamaCpp({
          id: 'gemma-3-270m',
          baseURL,
          maxTokens: 400,
          temperature: 0,
          maxRetries: 0,
        });
        const agent = new Agent({ id: 'long', model: long });
        const controller = new AbortController();
        const seen: RunEvent[] = [];
        for await (const event of agent.stream(counting, { signal: controller.signal })) {
          seen.push(event);
          if (seen.filter((e) => e.type === 'run.content').length === 3) controller.abort();
        }
        const end = seen.at(-1);
        expect(end?.type).toBe('run.cancelled');
        const streamed = seen.map((e) => (e.type === 'run.content' ? e.delta : '')).join('');
        expect(streamed.length).toBeGreaterThan(0);
        if (end?.type === 'run.cancelled') expect(end.output.status).toBe('cancelled');
        // The request was dropped, which is what stops llama-cpp-python generating.
        const log = join(repoRoot, `.tools/llama/server-${port}.log`);
        await expect
          .poll(() => readFileSync(log, 'utf8'), { timeout: 10_000 })
          .toContain('Disconnected from client');
      });
    });

    describe('through the server and the SDK', () => {
      let server: AgentRpcServer;
      beforeAll(async () => {
        server = await startServer(
          {
            store: new MemoryStore(),
            agents: [new Agent({ id: 'chat', model: model() })],
            auth: { apiKeys: [{ key: 'real-key', userId: 'alice' }] },
          },
          { port: 0 },
        );
      });
      afterAll(() => server.close(100));

      it('streams a run and reports its metrics', async () => {
        const client = createClient({ url: server.url, apiKey: 'real-key' });
        const seen = await collect(client.runs.stream({ agentId: 'chat', input: 'Say hello.' }));
        expect(seen[0]?.type).toBe('run.started');
        expect(seen.at(-1)?.type).toBe('run.completed');
        const run = await client.runs.get({ runId: seen[0]?.runId ?? '' });
        expect(run.status).toBe('completed');
        expect(run.metrics.usageEstimated).toBe(true);
        expect(run.metrics.totalTokens).toBeGreaterThan(0);
      });
    });
  },
);
