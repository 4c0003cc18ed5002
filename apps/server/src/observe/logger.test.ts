import { Writable } from 'node:stream';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startServer } from '../http/create-server.ts';
import { createLogger, scrubSecrets } from './logger.ts';

const apiKey = 'sk-live-very-secret-key-0123456789';
const jwtSecret = 'jwt-signing-secret-that-is-long-enough';

function captureLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

describe('logs', () => {
  it('carry request id, user, agent and run ids, and never a key, token or secret', async () => {
    const { lines, logger } = captureLogs();
    const server = await startServer(
      {
        store: new MemoryStore(),
        logger,
        agents: [new Agent({ id: 'echo', model: new DemoModel({ chunkDelayMs: 0 }) })],
        auth: { apiKeys: [{ key: apiKey, userId: 'alice' }], jwt: { secret: jwtSecret } },
      },
      { port: 0 },
    );
    try {
      const jwt = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('bob')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(jwtSecret));
      const call = (path: string, token: string, init: RequestInit = {}) =>
        fetch(`${server.url}/trpc/${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-request-id': 'req-42',
          },
        });
      expect((await call('agents.list', apiKey)).status).toBe(200);
      expect((await call('agents.list', jwt)).status).toBe(200);
      expect((await call('agents.list', `${apiKey}-wrong`)).status).toBe(401);
      const started = await call('runs.start', apiKey, {
        method: 'POST',
        body: JSON.stringify({ json: { agentId: 'echo', input: 'hello' } }),
      });
      const runId = ((await started.json()) as { result: { data: { json: { runId: string } } } })
        .result.data.json.runId;
      await expect.poll(() => lines.some((l) => l.includes('"run ended"'))).toBe(true);

      const text = lines.join('\n');
      for (const secret of [apiKey, jwt, jwtSecret]) expect(text).not.toContain(secret);
      const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(
        records.filter((r) => r.msg === 'request' && r.requestId === 'req-42').map((r) => r.userId),
      ).toEqual(['alice', 'bob', undefined, 'alice']);
      expect(records.find((r) => r.msg === 'run started')).toMatchObject({
        runId,
        userId: 'alice',
        agentId: 'echo',
      });
      expect(records.find((r) => r.msg === 'run ended')).toMatchObject({
        runId,
        status: 'completed',
      });
    } finally {
      await server.close(100);
    }
  });

  it('scrubs tokens out of free text', () => {
    expect(scrubSecrets('failed with Bearer abc.def and eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl')).toBe(
      'failed with Bearer [redacted] and [redacted-jwt]',
    );
    const { lines, logger } = captureLogs();
    logger.info(
      { headers: { authorization: 'Bearer x' }, apiKey: 'k', nested: { token: 't' } },
      'with fields',
    );
    expect(lines[0]).not.toMatch(/Bearer x|"k"|"t"/);
    expect(lines[0]).toContain('[redacted]');
  });
});
