// The /v1 facade through the official openai Node SDK, against a real server
// whose agent talks to the fake provider.
import { Agent, defineTool, MemoryStore, OpenAIChat } from '@agentrpc/core';
import type { FakeOpenAI } from '@agentrpc/testing';
import OpenAI from 'openai';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';
import { useServerOnFake } from '../test-support/server-on-fake.ts';

const world = useServerOnFake((model) => ({
  agents: [
    new Agent({
      id: 'helper',
      model,
      tools: [
        defineTool({
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: z.object({ city: z.string() }),
          execute: ({ city }) => ({ city, tempC: 21 }),
        }),
      ],
      instructions: 'Be brief.',
    }),
  ],
  auth: { apiKeys: [{ key: 'sk-agent', userId: 'ann' }] },
}));
let client: OpenAI;
let fake: FakeOpenAI;
let store: MemoryStore;
let server: AgentRpcServer;
beforeAll(() => {
  ({ fake, store, server } = world);
  client = new OpenAI({ apiKey: 'sk-agent', baseURL: `${server.url}/v1`, maxRetries: 0 });
});
beforeEach(() => fake.reset());

const ask = (content: string) => [{ role: 'user' as const, content }];

describe('the OpenAI-compatible facade', () => {
  it('lists the agents as models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['helper']);
  });

  it('answers a chat.completion with usage and reasoning, as an ordinary run', async () => {
    fake.enqueue({
      text: 'Hello there.',
      reasoning: 'short thought',
      usage: { promptTokens: 12, completionTokens: 3, cachedTokens: 2, reasoningTokens: 1 },
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'helper', messages: ask('hi'), temperature: 0.3 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello there.');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.choices[0]?.message).toMatchObject({ reasoning_content: 'short thought' });
    expect(data.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 3,
      prompt_tokens_details: { cached_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    expect(response.headers.get('x-agentrpc-ignored')).toBe('temperature');
    const runId = response.headers.get('x-agentrpc-run-id') ?? '';
    expect(await store.getRun({ userId: 'ann', runId })).toMatchObject({
      status: 'completed',
      agentId: 'helper',
    });
  });

  it('streams chunks with reasoning_content, usage when asked, and [DONE]', async () => {
    fake.enqueue({ text: 'one two three four', reasoning: 'hmm', chunkSize: 4 });
    const stream = await client.chat.completions.create({
      model: 'helper',
      messages: ask('count'),
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let reasoning = '';
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as
        | { content?: string; reasoning_content?: string }
        | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe('one two three four');
    expect(reasoning).toBe('hmm');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
  });

  it('takes the messages as the whole conversation by default, and a session by header', async () => {
    fake.enqueue({ text: 'stateless answer' });
    await client.chat.completions.create({
      model: 'helper',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'second' },
      ],
    });
    const sent = fake
      .completionRequests()[0]
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toEqual(['Be brief.', 'first', 'earlier answer', 'second']);

    fake.reset();
    fake.enqueue({ text: 'Noted: Oslo.' }, { text: 'You said Oslo.' });
    const headers = { 'x-session-id': 'chat-42' };
    await client.chat.completions.create(
      { model: 'helper', messages: ask('I live in Oslo') },
      { headers },
    );
    await client.chat.completions.create(
      {
        model: 'helper',
        messages: [
          { role: 'user', content: 'I live in Oslo' },
          { role: 'assistant', content: 'Noted: Oslo.' },
          { role: 'user', content: 'Where do I live?' },
        ],
      },
      { headers },
    );
    const second = fake
      .completionRequests()[1]
      ?.body.messages.map((m: { content: string }) => m.content);
    // The session held the first exchange: each message reached the model once.
    expect(second).toEqual(['Be brief.', 'I live in Oslo', 'Noted: Oslo.', 'Where do I live?']);
    expect((await store.getSession({ userId: 'ann', sessionId: 'chat-42' }))?.runCount).toBe(2);
  });

  it("runs the agent's own tools on the server, out of the client's sight", async () => {
    fake.enqueue(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { text: 'Sunny, 21.' },
    );
    const out = await client.chat.completions.create({ model: 'helper', messages: ask('Oslo?') });
    expect(out.choices[0]?.message).toMatchObject({ content: 'Sunny, 21.' });
    expect(out.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('answers errors in OpenAI shape with the right status', async () => {
    const wrong = new OpenAI({ apiKey: 'nope', baseURL: `${server.url}/v1`, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({ model: 'ghost', messages: ask('hi') }),
    ).rejects.toMatchObject({
      status: 404,
      type: 'invalid_request_error',
    });
    await expect(
      client.chat.completions.create({ model: 'helper', messages: ask('hi'), n: 2 }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/n > 1 is not supported/),
    });
    await expect(
      client.chat.completions.create({
        model: 'helper',
        messages: ask('hi'),
        logit_bias: { '1': 1 },
      }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/not supported: logit_bias/),
    });
    fake.enqueue({ error: { status: 500, message: 'upstream broke' } });
    await expect(
      client.chat.completions.create({ model: 'helper', messages: ask('hi') }),
    ).rejects.toMatchObject({
      status: 502,
      message: expect.stringMatching(/upstream broke/),
    });
  });

  it('cancels the run when the client closes the stream', async () => {
    fake.enqueue({ text: 'word '.repeat(200), chunkSize: 5, chunkDelayMs: 20 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'helper', messages: ask('go on'), stream: true })
      .withResponse();
    const runId = response.headers.get('x-agentrpc-run-id') ?? '';
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen++;
      if (seen === 3) break; // the SDK closes the connection
    }
    await expect
      .poll(async () => (await store.getRun({ userId: 'ann', runId }))?.status, { timeout: 5_000 })
      .toBe('cancelled');
  });
});

describe('the facade under limits and config', () => {
  it('answers 429 with Retry-After once the rate limit is reached', async () => {
    const limited = await startServer(
      {
        store: new MemoryStore(),
        agents: [
          new Agent({
            id: 'a',
            model: new OpenAIChat({ id: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:9' }),
          }),
        ],
        limits: { requestsPerMinute: 6 },
      },
      { port: 0 },
    );
    try {
      const c = new OpenAI({ apiKey: 'x', baseURL: `${limited.url}/v1`, maxRetries: 0 });
      await c.models.list();
      const error = await c.models.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(
        Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')),
      ).toBeGreaterThan(0);
    } finally {
      await limited.close(100);
    }
  });

  it('is off with openaiCompatible: false', async () => {
    const off = await startServer(
      {
        store: new MemoryStore(),
        agents: [new Agent({ id: 'a', model: new OpenAIChat({ id: 'm', apiKey: 'k' }) })],
        openaiCompatible: false,
      },
      { port: 0 },
    );
    try {
      expect((await fetch(`${off.url}/v1/models`)).status).toBe(404);
    } finally {
      await off.close(100);
    }
  });
});
