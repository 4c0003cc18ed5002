// The /v1 facade's tools and structured output through the official openai
// Node SDK: the client's own tools handed back and continued, response_format.
import { Agent } from '@agentrpc/core';
import type { FakeOpenAI } from '@agentrpc/testing';
import OpenAI from 'openai';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useServerOnFake } from '../test-support/server-on-fake.ts';

const world = useServerOnFake((model) => ({
  agents: [new Agent({ id: 'helper', model, instructions: 'Be brief.' })],
  auth: { apiKeys: [{ key: 'sk-agent', userId: 'ann' }] },
}));
let client: OpenAI;
let fake: FakeOpenAI;
beforeAll(() => {
  fake = world.fake;
  client = new OpenAI({ apiKey: 'sk-agent', baseURL: `${world.server.url}/v1`, maxRetries: 0 });
});
beforeEach(() => fake.reset());

const ask = (content: string) => [{ role: 'user' as const, content }];

describe('the facade with client tools and response_format', () => {
  it("hands the client's own tools back as tool_calls, and goes on with their results", async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup_order',
          description: 'Find an order',
          parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        },
      },
    ];
    for (const session of [undefined, 'tools-session']) {
      fake.reset();
      fake.enqueue(
        { toolCalls: [{ id: 'c1', name: 'lookup_order', arguments: { id: '42' } }] },
        { text: 'Shipped.' },
      );
      const options = session ? { headers: { 'x-session-id': session } } : {};
      const first = await client.chat.completions.create(
        { model: 'helper', messages: ask('order 42?'), tools },
        options,
      );
      const choice = first.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      expect(choice?.message.tool_calls).toEqual([
        {
          id: 'c1',
          type: 'function',
          function: { name: 'lookup_order', arguments: '{"id":"42"}' },
        },
      ]);
      const second = await client.chat.completions.create(
        {
          model: 'helper',
          tools,
          messages: [
            ...ask('order 42?'),
            choice?.message as OpenAI.ChatCompletionMessageParam,
            { role: 'tool', tool_call_id: 'c1', content: '{"status":"shipped"}' },
          ],
        },
        options,
      );
      expect(second.choices[0]?.message.content).toBe('Shipped.');
      const sent = fake.completionRequests()[1]?.body.messages;
      expect(sent.at(-1)).toMatchObject({
        role: 'tool',
        tool_call_id: 'c1',
        content: '{"status":"shipped"}',
      });
      expect(sent.filter((m: { role: string }) => m.role === 'tool')).toHaveLength(1);
    }
  });

  it('answers to response_format json_schema, and fails clearly when the answer does not match', async () => {
    const response_format = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'place',
        schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    };
    fake.enqueue({ json: { city: 'Oslo' } });
    const out = await client.chat.completions.create({
      model: 'helper',
      messages: ask('city?'),
      response_format,
    });
    expect(JSON.parse(out.choices[0]?.message.content ?? '')).toEqual({ city: 'Oslo' });
    expect(fake.completionRequests()[0]?.body.response_format).toMatchObject({
      type: 'json_schema',
    });
    fake.enqueue({ json: { town: 'Oslo' } }, { json: { still: 'wrong' } });
    await expect(
      client.chat.completions.create({ model: 'helper', messages: ask('city?'), response_format }),
    ).rejects.toMatchObject({
      status: 502,
      message: expect.stringMatching(/schema|match|invalid/i),
    });
  });
});
