// The server measured by the load benchmark: one agent on the paced fake upstream.
import { Agent, OpenAIChat } from '@agentrpc/core';
import { defineConfig } from '@agentrpc/server';

export default defineConfig({
  agents: [
    new Agent({
      id: 'load',
      model: new OpenAIChat({
        id: 'gpt-4o-mini',
        apiKey: 'k',
        baseURL: process.env.UPSTREAM_URL,
        maxRetries: 0,
      }),
      numHistoryRuns: 0,
    }),
    // Warms the server up before it is measured: short, unpaced streams.
    new Agent({
      id: 'warm-up',
      model: new OpenAIChat({
        id: 'gpt-4o-mini',
        apiKey: 'k',
        baseURL: process.env.WARM_UP_URL,
        maxRetries: 0,
      }),
      numHistoryRuns: 0,
    }),
  ],
  auth: { apiKeys: [{ key: 'load-key', userId: 'load' }] },
  limits: {
    maxConcurrentRunsPerUser: 100_000,
    maxSubscriptionsPerUser: 100_000,
    webSocketMessagesPerSecond: 100_000,
    requestsPerMinute: 10_000_000,
    // High for the throughput rows; an overload row caps it.
    maxRunningRuns: Number(process.env.MAX_RUNNING_RUNS ?? 100_000),
    // Off for the throughput rows (every stream is measured); the overload rows set it.
    maxEventLoopDelayMs: Number(process.env.MAX_EVENT_LOOP_DELAY_MS ?? 0),
  },
});
