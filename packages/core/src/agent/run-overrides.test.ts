// What a caller may add to one run: tools it runs itself (the run pauses for
// their results) and a JSON schema for the answer.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OpenAIChat } from '../model/openai-chat.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { Agent } from './agent.ts';

const fake = useFakeOpenAI();
const model = () =>
  new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
const lookup = {
  name: 'lookup_order',
  description: 'Find an order',
  parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
};

describe('run overrides', () => {
  it('pauses on a client tool call and goes on with the result the client gives', async () => {
    const store = new MemoryStore();
    const agent = new Agent({ id: 'shop', model: model(), store });
    fake.enqueue(
      { toolCalls: [{ id: 'c1', name: 'lookup_order', arguments: { id: '42' } }] },
      { text: 'Shipped.' },
    );
    const paused = await agent.run('where is order 42?', { clientTools: [lookup] });
    expect(paused.status).toBe('paused');
    expect(paused.pendingToolCalls).toMatchObject([
      { id: 'c1', name: 'lookup_order', args: { id: '42' } },
    ]);
    expect(fake.completionRequests()[0]?.body.tools[0].function.name).toBe('lookup_order');
    const done = await agent.continueRun(
      paused.runId,
      { toolResults: { c1: { status: 'shipped' } } },
      {},
    );
    expect(done.content).toBe('Shipped.');
    const sent = fake.completionRequests()[1]?.body;
    expect(sent.tools[0].function.name).toBe('lookup_order'); // still offered after the pause
    expect(sent.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'c1' });
  });

  it("refuses a client tool named like one of the agent's", async () => {
    const own = defineTool({
      name: 'lookup_order',
      description: 'x',
      parameters: z.object({}),
      execute: () => 1,
    });
    const agent = new Agent({ id: 'shop', model: model(), tools: [own] });
    await expect(agent.run('hi', { clientTools: [lookup] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });

  it('answers to a JSON schema given with the run', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    fake.enqueue({ json: { city: 'Oslo' } });
    const out = await new Agent({ id: 'json', model: model() }).run('city?', {
      outputJsonSchema: { name: 'place', schema },
    });
    expect(out.parsed).toEqual({ city: 'Oslo' });
    expect(fake.completionRequests()[0]?.body.response_format).toMatchObject({
      type: 'json_schema',
    });
    fake.enqueue({ json: { town: 'Oslo' } }, { json: { nope: 1 } });
    await expect(
      new Agent({ id: 'json2', model: model() }).run('city?', {
        outputJsonSchema: { name: 'place', schema },
      }),
    ).rejects.toMatchObject({ code: 'BAD_OUTPUT' });
  });
});
