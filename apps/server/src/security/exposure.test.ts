// What the server shows and to whom: /metrics is not public, JWTs must expire
// and may not come from the future, and a shutting-down server keeps its port
// open while it drains.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { call, keys, startSecurityServer } from './security-server.ts';

const jwtSecret = 'security-suite-secret-long-enough-for-hs256';

describe('/metrics', () => {
  it('is not served on the API port of a server with auth by default', async () => {
    const s = await startSecurityServer();
    try {
      const res = await fetch(`${s.url}/metrics`, {
        headers: { authorization: `Bearer ${keys.alice}` },
      });
      expect(res.status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('answers the API port only with its bearer token', async () => {
    const s = await startSecurityServer({ config: { metrics: { token: 'metrics-token-123' } } });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const res = await fetch(`${s.url}/metrics`, {
        headers: { authorization: 'Bearer metrics-token-123' },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('agentrpc_active_runs');
    } finally {
      await s.close();
    }
  });

  it('lives on a loopback listener of its own with metrics.port', async () => {
    const s = await startSecurityServer({ config: { metrics: { port: 0 } } });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(404);
      expect(s.server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(s.server.metricsUrl ?? '');
      expect(await res.text()).toContain('agentrpc_active_runs');
    } finally {
      await s.close();
    }
  });
});

describe('JWT', () => {
  const sign = (claims: { exp?: string; iat?: number }) => {
    let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('carol');
    if (claims.exp) jwt = jwt.setExpirationTime(claims.exp);
    if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
    return jwt.sign(new TextEncoder().encode(jwtSecret));
  };

  it('requires exp and refuses an iat from the future', async () => {
    const s = await startSecurityServer({
      config: {
        auth: { apiKeys: [{ key: keys.alice, userId: 'alice' }], jwt: { secret: jwtSecret } },
      },
    });
    try {
      const status = async (token: string) =>
        (await call(s.url, { path: 'agents.list', key: token, method: 'GET' })).status;
      expect(await status(await sign({ exp: '5m' }))).toBe(200);
      expect(await status(await sign({}))).toBe(401);
      const inAnHour = Math.floor(Date.now() / 1000) + 3600;
      expect(await status(await sign({ exp: '2h', iat: inAnHour }))).toBe(401);
    } finally {
      await s.close();
    }
  });
});

describe('shutdown', () => {
  it('keeps listening while it drains: readyz 503, new runs SHUTDOWN, running streams finish', async () => {
    const s = await startSecurityServer();
    const stream = call(s.url, {
      path: 'runs.stream',
      key: keys.alice,
      method: 'GET',
      input: { agentId: 'slow', input: 'tell me a story' },
    }).then((res) => res.text());
    await expect.poll(() => s.server.services.runs.activeCount).toBe(1);
    const closing = s.server.close(10_000);
    try {
      expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      const refused = await call(s.url, {
        path: 'runs.start',
        key: keys.alice,
        input: { agentId: 'slow', input: 'one more' },
      });
      expect(refused.status).toBe(503);
      expect(await refused.text()).toContain('SHUTDOWN');
      const text = await stream;
      expect(text).toContain('run.completed');
    } finally {
      await closing;
    }
  });
});
