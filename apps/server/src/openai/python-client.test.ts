// The /v1 facade through the official openai Python package (from PyPI into
// .tools/pyopenai by scripts/python-openai.sh), against a real server.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, MemoryStore, OpenAIChat } from '@agentrpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';
import { useServerOnFake } from '../test-support/server-on-fake.ts';

const python = fileURLToPath(new URL('../../../../.tools/pyopenai/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./python_client.py', import.meta.url));
const missing = existsSync(python)
  ? undefined
  : 'run scripts/python-openai.sh install (needs python3)';
if (missing && process.env.CI === 'true') throw new Error(`python client suite: ${missing}`);

describe.skipIf(missing !== undefined)(
  `the facade from Python's openai package${missing ? `: skipped, ${missing}` : ''}`,
  () => {
    const world = useServerOnFake((model) => ({
      agents: [new Agent({ id: 'helper', model })],
      auth: { apiKeys: [{ key: 'sk-py', userId: 'py' }] },
    }));
    let limited: AgentRpcServer;
    beforeAll(async () => {
      const model = new OpenAIChat({ id: 'm', apiKey: 'k', baseURL: world.fake.baseURL });
      limited = await startServer(
        {
          store: new MemoryStore(),
          agents: [new Agent({ id: 'helper', model })],
          limits: { requestsPerMinute: 6 },
        },
        { port: 0 },
      );
    });
    afterAll(() => limited?.close(100));

    it('lists models, answers, streams with usage, holds a session, hands back tools, answers to a schema, fails in shape, cancels on close', async () => {
      world.fake.enqueue(
        { text: 'Hello from the agent.', usage: { promptTokens: 9, completionTokens: 4 } },
        { text: 'one two three', chunkSize: 4 },
        { text: 'Noted.' },
        { text: 'In Oslo.' },
        { toolCalls: [{ id: 'c7', name: 'lookup_order', arguments: { id: '42' } }] },
        { text: 'It has shipped.' },
        { json: { city: 'Oslo' } },
        { text: 'word '.repeat(200), chunkSize: 5, chunkDelayMs: 20 },
      );
      const { stdout } = await promisify(execFile)(python, [script], {
        env: {
          ...process.env,
          BASE_URL: `${world.server.url}/v1`,
          API_KEY: 'sk-py',
          LIMITED_URL: `${limited.url}/v1`,
        },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout);
      expect(out).toMatchObject({
        models: ['helper'],
        content: 'Hello from the agent.',
        usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
        streamed: 'one two three',
        stream_usage: expect.any(Number),
        session_answer: 'In Oslo.',
        tool_call: { name: 'lookup_order', arguments: '{"id":"42"}' },
        after_tool: 'It has shipped.',
        structured: { city: 'Oslo' },
        unauthorized: 401,
        not_found: 404,
        rate_limited: { status: 429, retry_after: expect.stringMatching(/^\d+$/) },
      });
      // The session held the first exchange: the model saw each message once.
      const sent = world.fake
        .completionRequests()[3]
        ?.body.messages.map((m: { content: string }) => m.content);
      expect(sent).toEqual(['I live in Oslo', 'Noted.', 'Where do I live?']);
      await expect
        .poll(
          async () =>
            (await world.store.getRun({ userId: 'py', runId: out.cancelled_run }))?.status,
          {
            timeout: 5_000,
          },
        )
        .toBe('cancelled');
    }, 90_000);
  },
);
