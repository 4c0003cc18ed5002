import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeOpenAI, type FakeOpenAI, type FakeProfile, type FakeReply } from './index.ts';

let fake: FakeOpenAI;
let client: OpenAI;
beforeAll(async () => {
  fake = await createFakeOpenAI({ models: ['m1', 'm2'] });
  client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('fake OpenAI server', () => {
  it('answers a non-streaming completion and records the request', async () => {
    fake.enqueue({ text: 'hello there', usage: { promptTokens: 7, completionTokens: 2 } });
    const res = await client.chat.completions.create({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('hello there');
    expect(res.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    expect(fake.requests[0]?.body.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('streams text in chunks with usage last when asked', async () => {
    fake.enqueue({ text: 'abcdefghij', chunkSize: 3 });
    const stream = await client.chat.completions.create({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let usage: unknown;
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(deltas).toEqual(['abc', 'def', 'ghi', 'j']);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) });
  });

  it('splits parallel tool call arguments across chunks', async () => {
    fake.enqueue({
      toolCalls: [
        { name: 'a', arguments: { city: 'Paris' } },
        { name: 'b', arguments: { city: 'Oslo' } },
      ],
      chunkSize: 2,
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const args: string[] = ['', ''];
    let argumentChunks = 0;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (call.function?.arguments) {
          args[call.index] += call.function.arguments;
          argumentChunks++;
        }
      }
    }
    expect(args.map((a) => JSON.parse(a))).toEqual([{ city: 'Paris' }, { city: 'Oslo' }]);
    expect(argumentChunks).toBeGreaterThan(10);
  });

  it('answers errors with status, body and retry-after', async () => {
    fake.enqueue({ error: { status: 429, message: 'slow down', retryAfter: 2 } });
    const error = await client.chat.completions
      .create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe(
      '2',
    );
    expect((error as Error).message).toContain('slow down');
  });

  it('cuts a stream mid-way', async () => {
    fake.enqueue({ text: 'x'.repeat(100), chunkSize: 5, cutAfterChunks: 4 });
    const stream = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const read = async () => {
      for await (const _ of stream) {
      }
    };
    await expect(read()).rejects.toThrow();
  });

  it('lists models and fails clearly with an empty script', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['m1', 'm2']);
    await expect(
      client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toThrow(/no scripted reply/);
  });
});

describe('fake server profiles, on the wire', () => {
  async function rawStream(profile: FakeProfile, body: object, reply: FakeReply) {
    const server = await createFakeOpenAI({ profile });
    try {
      server.enqueue(reply);
      const res = await fetch(`${server.baseURL}/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': 'k' },
        body: JSON.stringify({ model: 'm', messages: [], stream: true, ...body }),
      });
      return { status: res.status, text: await res.text() };
    } finally {
      await server.close();
    }
  }
  const events = (text: string) =>
    text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)));

  it('ollama writes <, > and & escaped, as Go does', async () => {
    const { text } = await rawStream('ollama', {}, { text: '<b>&</b>', chunkSize: 100 });
    expect(text).toContain('\\u003cb\\u003e\\u0026\\u003c/b\\u003e');
    expect(events(text)[1].choices[0].delta.content).toBe('<b>&</b>');
  });

  it('deepseek sends keep-alive comments first', async () => {
    const { text } = await rawStream('deepseek', {}, { text: 'hi' });
    expect(text.startsWith(': keep-alive\n\n')).toBe(true);
  });

  it('zhipu sends usage unasked; llama.cpp and lmstudio never, even asked', async () => {
    const usageOf = async (profile: FakeProfile, body: object) =>
      events((await rawStream(profile, body, { text: 'hi' })).text).some((e) => e.usage);
    expect(await usageOf('zhipu', {})).toBe(true);
    expect(await usageOf('openai', {})).toBe(false);
    const asked = { stream_options: { include_usage: true } };
    expect(await usageOf('openai', asked)).toBe(true);
    expect(await usageOf('llama.cpp', asked)).toBe(false);
    expect(await usageOf('lmstudio', asked)).toBe(false);
  });

  it('streams a tool call three ways: in pieces, repeating its header, or whole', async () => {
    const reply = { toolCalls: [{ name: 'f', arguments: { a: 1 } }], chunkSize: 3 };
    const calls = async (profile: FakeProfile) =>
      events((await rawStream(profile, {}, reply)).text).flatMap(
        (e) => e.choices[0]?.delta?.tool_calls ?? [],
      );
    const openai = await calls('openai');
    expect(openai[0]).toMatchObject({ id: 'call_0_f', function: { name: 'f', arguments: '' } });
    expect(openai[1]).toEqual({ index: 0, function: { arguments: '{"a' } });
    expect((await calls('llama.cpp'))[1]).toMatchObject({
      id: 'call_0_f',
      function: { name: 'f' },
    });
    const llama = events((await rawStream('llama.cpp', {}, reply)).text);
    expect(llama[2].choices[0].delta.function_call).toEqual({ name: 'f', arguments: '{"a' });
    expect(await calls('zhipu')).toEqual([
      { index: 0, id: 'call_0_f', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ]);
  });

  it('azure leads with a choice-less filter chunk and ends with a delta-less annotation', async () => {
    const list = events((await rawStream('azure', {}, { text: 'hi' })).text);
    expect(list[0]).toMatchObject({ choices: [], prompt_filter_results: [{ prompt_index: 0 }] });
    expect(list.at(-1).choices[0].delta).toBeUndefined();
    expect(list.at(-1).choices[0].content_filter_results).toBeDefined();
  });

  it('refuses what each server refuses, in its own error shape', async () => {
    const vllm = await rawStream('vllm', {}, { error: { status: 400, message: 'too long' } });
    expect(JSON.parse(vllm.text)).toMatchObject({
      object: 'error',
      message: 'too long',
      code: 400,
    });
    const lmstudio = await rawStream('lmstudio', { response_format: { type: 'json_object' } }, {});
    expect(lmstudio.status).toBe(400);
    expect(JSON.parse(lmstudio.text)).toEqual({
      error: "'response_format.type' must be 'json_schema' or 'text'",
    });
    const zhipu = await rawStream('zhipu', { messages: [{ role: 'developer', content: 'x' }] }, {});
    expect(JSON.parse(zhipu.text)).toMatchObject({ error: { code: '1214' } });
    const azure = await createFakeOpenAI({ profile: 'azure' });
    try {
      const res = await fetch(`${azure.baseURL}/chat/completions`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(404); // no api-version
    } finally {
      await azure.close();
    }
  });
});
