// The frameworks measured side by side, each set up the way its docs show:
// build an agent with one weather tool, and stream one answer as text.

import { Agent, defineTool, OpenAIChat } from '@agentrpc/core';
import { createOpenAI } from '@ai-sdk/openai';
import { Agent as MastraAgent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import {
  Agent as OpenAIAgent,
  OpenAIChatCompletionsModel,
  tool as openAITool,
  run as runOpenAIAgent,
  setTracingDisabled,
} from '@openai/agents';
import { tool as aiTool, ToolLoopAgent } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';

setTracingDisabled(true);

const city = z.object({ city: z.string() });
const weather = async ({ city }: { city: string }) => ({ city, tempC: 21 });
const instructions = 'You are a weather assistant.';

export interface Peer {
  name: string;
  version: string;
  /**
   * Returns a function that builds one agent. The model and tool are made once,
   * outside; with `shared` the tool list is too, else each agent gets a fresh list.
   */
  agentFactory(baseURL: string, shared: boolean): () => unknown;
  /** Streams one answer and returns the number of text deltas seen. */
  stream(baseURL: string): Promise<number>;
}

export const plainOpenAI = {
  name: 'openai SDK (plain)',
  async stream(baseURL: string): Promise<number> {
    const client = new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let deltas = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) deltas++;
    return deltas;
  },
};

export const agentrpc: Peer = {
  name: 'agentrpc',
  version: 'workspace',
  agentFactory(baseURL, shared) {
    const model = new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL });
    const tool = defineTool({
      name: 'get_weather',
      description: 'Weather',
      parameters: city,
      execute: weather,
    });
    const tools = [tool];
    return shared
      ? () => new Agent({ id: 'weather', model, instructions, tools })
      : () => new Agent({ id: 'weather', model, instructions, tools: [tool] });
  },
  async stream(baseURL) {
    const model = new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL, maxRetries: 0 });
    const agent = new Agent({ id: 'weather', model, instructions });
    let deltas = 0;
    for await (const event of agent.stream('weather?')) if (event.type === 'run.content') deltas++;
    return deltas;
  },
};

export const aiSdk: Peer = {
  name: 'Vercel AI SDK (ToolLoopAgent)',
  version: 'ai',
  agentFactory(baseURL, shared) {
    const model = createOpenAI({ apiKey: 'k', baseURL }).chat('gpt-4o-mini');
    const tool = aiTool({ description: 'Weather', inputSchema: city, execute: weather });
    const tools = { get_weather: tool };
    return shared
      ? () => new ToolLoopAgent({ model, instructions, tools })
      : () => new ToolLoopAgent({ model, instructions, tools: { get_weather: tool } });
  },
  async stream(baseURL) {
    const model = createOpenAI({ apiKey: 'k', baseURL }).chat('gpt-4o-mini');
    const agent = new ToolLoopAgent({ model, instructions, maxRetries: 0 });
    const result = await agent.stream({ prompt: 'weather?' });
    let deltas = 0;
    for await (const _ of result.textStream) deltas++;
    return deltas;
  },
};

export const openAIAgents: Peer = {
  name: 'OpenAI Agents SDK',
  version: '@openai/agents',
  agentFactory(baseURL, shared) {
    const model = new OpenAIChatCompletionsModel(
      new OpenAI({ apiKey: 'k', baseURL }),
      'gpt-4o-mini',
    );
    const tool = openAITool({
      name: 'get_weather',
      description: 'Weather',
      parameters: city,
      execute: weather,
    });
    const tools = [tool];
    return shared
      ? () => new OpenAIAgent({ name: 'weather', instructions, model, tools })
      : () => new OpenAIAgent({ name: 'weather', instructions, model, tools: [tool] });
  },
  async stream(baseURL) {
    const model = new OpenAIChatCompletionsModel(
      new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0 }),
      'gpt-4o-mini',
    );
    const agent = new OpenAIAgent({ name: 'weather', instructions, model });
    const result = await runOpenAIAgent(agent, 'weather?', { stream: true });
    let deltas = 0;
    for await (const _ of result.toTextStream()) deltas++;
    await result.completed;
    return deltas;
  },
};

// Mastra's own model-router config for an OpenAI-compatible endpoint.
const mastraModel = (baseURL: string) =>
  ({ id: 'openai/gpt-4o-mini', url: baseURL, apiKey: 'k', api: 'chat' }) as const;

export const mastra: Peer = {
  name: 'Mastra',
  version: '@mastra/core',
  agentFactory(baseURL, shared) {
    const model = mastraModel(baseURL);
    const tool = createTool({
      id: 'get_weather',
      description: 'Weather',
      inputSchema: city,
      execute: weather,
    });
    const tools = { get_weather: tool };
    return shared
      ? () => new MastraAgent({ id: 'weather', name: 'weather', instructions, model, tools })
      : () =>
          new MastraAgent({
            id: 'weather',
            name: 'weather',
            instructions,
            model,
            tools: { get_weather: tool },
          });
  },
  async stream(baseURL) {
    const model = mastraModel(baseURL);
    const agent = new MastraAgent({ id: 'weather', name: 'weather', instructions, model });
    const result = await agent.stream('weather?');
    let deltas = 0;
    for await (const _ of result.textStream) deltas++;
    return deltas;
  },
};

export const peers: Peer[] = [agentrpc, aiSdk, openAIAgents, mastra];
