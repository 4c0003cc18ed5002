import { fileURLToPath } from 'node:url';
import { type ServedAgentRpc, serveAgentRpc } from '@agentrpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weatherService } from './weather-service.ts';

let server: ServedAgentRpc | undefined;
let url = '';

beforeAll(async () => {
  // The built `agentrpc` command of this repository, as a deployment runs it; this
  // service depends on the SDK alone, so the server is found by path, not as a package.
  const repo = new URL('../../../apps/server/', import.meta.url);
  const bin = fileURLToPath(new URL('bin/agentrpc.js', repo));
  const config = fileURLToPath(new URL('test/fixtures/consumer.config.ts', repo));
  server = await serveAgentRpc({
    cli: bin,
    config,
    fromSource: false,
    env: { ...process.env, AGENTRPC_STORE: 'memory' },
  });
  url = server.url;
});

afterAll(() => server?.stop());

describe.each(['sse', 'ws'] as const)('consumer service over %s', (transport) => {
  it('asks, streams and reads history through the SDK alone', async () => {
    const service = weatherService({ url, apiKey: 'consumer-key', transport });
    try {
      const first = await service.ask('What is the weather in Lisbon?');
      expect(first.answer).toContain('"city":"Lisbon"');
      expect(first.tokens).toBeGreaterThan(0);
      let streamed = '';
      const out = await service.streamAnswer('Just say hello', (delta) => {
        streamed += delta;
      });
      expect(streamed).toBe(out.content);
      expect(await service.history(first.sessionId)).toEqual(
        expect.arrayContaining(['user: What is the weather in Lisbon?']),
      );
    } finally {
      service.close();
    }
  });

  it('reports a bad key as UNAUTHORIZED', async () => {
    const service = weatherService({ url, apiKey: 'wrong', transport });
    try {
      await expect(service.ask('hi')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    } finally {
      service.close();
    }
  });
});
