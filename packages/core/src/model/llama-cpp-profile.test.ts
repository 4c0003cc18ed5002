// The llamaCpp preset against the fake server's llama.cpp profile: tool calls
// whose every chunk repeats the name, streams without usage, a 500 for an
// assistant message with null content.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../agent/agent.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { OpenAIChat } from './openai-chat.ts';
import { providers } from './providers.ts';

const fake = useFakeOpenAI({ profile: 'llama.cpp' });

const weather = defineTool({
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, tempC: 21 }),
});

const llama = () => providers.llamaCpp({ id: 'gemma', baseURL: fake.baseURL, maxRetries: 0 });

describe('the llamaCpp preset on a llama.cpp server', () => {
  it('reads a tool call whose chunks repeat its name, and goes on after it', async () => {
    const agent = new Agent({ id: 'w', model: llama(), tools: [weather] });
    fake.enqueue(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], chunkSize: 3 },
      { text: 'Sunny in Oslo.' },
    );
    const out = await agent.run('weather in Oslo?');
    expect(out.toolCalls).toMatchObject([{ name: 'get_weather', args: { city: 'Oslo' } }]);
    expect(out.content).toBe('Sunny in Oslo.');
  });

  it('estimates token counts when the stream carries none, and says so', async () => {
    fake.enqueue({ text: 'twelve chars' });
    const out = await new Agent({ id: 'e', model: llama() }).run('sixteen characters');
    expect(out.metrics).toMatchObject({
      usageEstimated: true,
      inputTokens: Math.ceil('sixteen characters'.length / 4),
      outputTokens: Math.ceil('twelve chars'.length / 4),
    });
  });

  it('continues a session after an empty reply', async () => {
    const agent = new Agent({ id: 's', model: llama() });
    fake.enqueue({ text: '' }, { text: 'second' });
    const first = await agent.run('one');
    const second = await agent.run('two', { sessionId: first.sessionId });
    expect(second.content).toBe('second');
  });

  it('is needed: OpenAI-shaped history with null beside tool calls gets the 500', async () => {
    const model = new OpenAIChat({
      id: 'gemma',
      apiKey: 'k',
      baseURL: fake.baseURL,
      maxRetries: 0,
    });
    const agent = new Agent({ id: 'o', model, tools: [weather] });
    fake.enqueue({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
    await expect(agent.run('weather?')).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
  });
});
