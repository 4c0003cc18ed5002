// The server examples/consumer's test talks to: an offline weather agent.
import { Agent, DemoModel, defineTool } from '@agentrpc/core';
import { defineConfig } from '@agentrpc/server';
import { z } from 'zod';

const getWeather = defineTool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, tempC: 18 }),
});

export default defineConfig({
  agents: [
    new Agent({ id: 'weather', model: new DemoModel({ chunkDelayMs: 0 }), tools: [getWeather] }),
  ],
  auth: { apiKeys: [{ key: 'consumer-key', userId: 'consumer' }] },
});
