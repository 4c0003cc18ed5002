// The agentrpc server measured by the server benchmark: one agent on the fake upstream.
import { Agent, OpenAIChat } from '@agentrpc/core';
import { defineConfig } from '@agentrpc/server';

const upstream = process.env.UPSTREAM_URL;
if (!upstream) throw new Error('UPSTREAM_URL is not set');

export default defineConfig({
  agents: [
    new Agent({
      id: 'bench',
      model: new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL: upstream, maxRetries: 0 }),
      numHistoryRuns: 0,
    }),
  ],
  auth: { apiKeys: [{ key: 'bench-key', userId: 'bench' }] },
  limits: {
    maxConcurrentRunsPerUser: 1000,
    maxSubscriptionsPerUser: 2000,
    requestsPerMinute: 1_000_000,
  },
});
