import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import { startServer } from '../http/create-server.ts';

describe('/metrics', () => {
  it('reports runs, tokens, durations, live gauges and store latency in Prometheus format', async () => {
    const server = await startServer(
      {
        store: new MemoryStore(),
        agents: [new Agent({ id: 'echo', model: new DemoModel({ chunkDelayMs: 0 }) })],
      },
      { port: 0 },
    );
    try {
      const start = () =>
        fetch(`${server.url}/trpc/runs.start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ json: { agentId: 'echo', input: 'hello' } }),
        });
      await start();
      await start();
      await expect.poll(() => server.services.runs.activeCount).toBe(0);
      const res = await fetch(`${server.url}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toMatch(/agentrpc_runs_total\{agent="echo",status="completed"\} 2/);
      expect(text).toMatch(/agentrpc_tokens_total\{agent="echo",kind="output"\} [1-9]/);
      expect(text).toMatch(
        /agentrpc_run_duration_seconds_count\{agent="echo",status="completed"\} 2/,
      );
      expect(text).toMatch(/agentrpc_active_runs 0/);
      expect(text).toMatch(/agentrpc_active_subscriptions 0/);
      expect(text).toMatch(
        /agentrpc_store_operation_seconds_count\{operation="appendRun",outcome="ok"\} 2/,
      );
      expect(text).toMatch(/agentrpc_process_/);
    } finally {
      await server.close(100);
    }
  });
});
