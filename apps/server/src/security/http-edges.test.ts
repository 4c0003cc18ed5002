// What reaches the HTTP port before a call is understood: other methods, bodies
// and inputs that do not parse, credentials in URLs, and anonymous floods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys, rawRequest, type SecurityServer, startSecurityServer } from './security-server.ts';

describe('the HTTP edge', () => {
  let s: SecurityServer;
  beforeAll(async () => {
    s = await startSecurityServer({ limits: { authFailuresPerMinute: 60 } });
  });
  afterAll(() => s.close());

  const auth = { authorization: `Bearer ${keys.alice}`, 'content-type': 'application/json' };
  const errorLogs = () => s.logs.filter((line) => (line.level as number) >= 50);

  it.each(['TRACE', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405, not a 500', async (method) => {
    const res = await rawRequest(s.url, { method, path: '/trpc/agents.list', headers: auth });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(errorLogs()).toEqual([]);
  });

  it('answers a body or input that does not parse with 400 and a warning, without a stack', async () => {
    const attempts = [
      { method: 'POST', path: '/trpc/runs.start', body: '{"json":' },
      { method: 'GET', path: '/trpc/agents.get?input=%7Bnope' },
      {
        method: 'GET',
        path: `/trpc/agents.get?input=${encodeURIComponent('{"json":{},"meta":{"values":{"a":["bogus"]}}}')}`,
      },
    ];
    for (const attempt of attempts) {
      const res = await rawRequest(s.url, { ...attempt, headers: auth });
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    }
    const warnings = s.logs.filter((line) => line.level === 40 && line.msg === 'bad request');
    expect(warnings.length).toBeGreaterThanOrEqual(attempts.length);
    expect(errorLogs()).toEqual([]);
  });

  it('refuses an SSE input that does not parse, after the credential and without a 500', async () => {
    const anonymous = await rawRequest(s.url, {
      method: 'GET',
      path: '/trpc/runs.events?input=%7Bnope',
    });
    expect(anonymous.text).toContain('UNAUTHORIZED');
    const res = await rawRequest(s.url, {
      method: 'GET',
      path: '/trpc/runs.events?input=%7Bnope',
      headers: auth,
    });
    expect(res.text).toContain('PARSE_ERROR');
    expect(res.text).toContain('"httpStatus":400');
    expect(errorLogs()).toEqual([]);
  });

  it('does not take credentials from the URL of a plain query', async () => {
    const params = encodeURIComponent(JSON.stringify({ token: keys.alice }));
    const res = await rawRequest(s.url, {
      method: 'GET',
      path: `/trpc/agents.list?connectionParams=${params}`,
    });
    expect(res.status).toBe(401);
  });

  it('rate-limits failed credentials per client address, and still lets a valid key in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await rawRequest(s.url, {
        method: 'GET',
        path: '/trpc/agents.list',
        headers: { authorization: `Bearer guess-${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const valid = await rawRequest(s.url, {
      method: 'GET',
      path: '/trpc/agents.list',
      headers: auth,
    });
    expect(valid.status).toBe(200);
    expect(errorLogs()).toEqual([]);
  });
});
