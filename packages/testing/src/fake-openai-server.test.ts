import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeOpenAI, type FakeOpenAI } from './index.ts';

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
