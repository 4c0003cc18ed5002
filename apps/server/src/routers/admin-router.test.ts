// account.me says who the caller is; admin.* and reading another user's
// sessions and runs are for admins only.
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';

let server: AgentRpcServer;
beforeAll(async () => {
  server = await startServer(
    {
      store: new MemoryStore(),
      agents: [new Agent({ id: 'a', model: new DemoModel() })],
      auth: {
        apiKeys: [
          { key: 'admin-key', userId: 'root', roles: ['admin'] },
          { key: 'user-key', userId: 'ann' },
        ],
      },
    },
    { port: 0 },
  );
});
afterAll(() => server.close(100));

async function query(path: string, key: string, input?: unknown) {
  const search =
    input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await fetch(`${server.url}/trpc/${path}${search}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return {
    status: res.status,
    body: (await res.json()) as { result?: { data: { json: unknown } } },
  };
}

describe('account and admin', () => {
  it('tells the caller who they are', async () => {
    expect((await query('account.me', 'user-key')).body.result?.data.json).toEqual({
      userId: 'ann',
      roles: [],
      admin: false,
    });
    expect((await query('account.me', 'admin-key')).body.result?.data.json).toMatchObject({
      admin: true,
    });
  });

  it("gives admins the overview and another user's runs; others get FORBIDDEN", async () => {
    const run = await fetch(`${server.url}/trpc/runs.start`, {
      method: 'POST',
      headers: { authorization: 'Bearer user-key', 'content-type': 'application/json' },
      body: JSON.stringify({ json: { agentId: 'a', input: 'hi' } }),
    });
    const { sessionId, runId } = (
      (await run.json()) as { result: { data: { json: { sessionId: string; runId: string } } } }
    ).result.data.json;
    expect((await query('admin.overview', 'user-key')).status).toBe(403);
    const overview = await query('admin.overview', 'admin-key');
    expect(overview.body.result?.data.json).toMatchObject({ liveRuns: expect.any(Array) });
    expect((await query('runs.list', 'admin-key', { sessionId, userId: 'ann' })).status).toBe(200);
    expect((await query('runs.get', 'admin-key', { runId, userId: 'ann' })).status).toBe(200);
    expect(
      (await query('sessions.messages', 'admin-key', { sessionId, userId: 'ann' })).status,
    ).toBe(200);
    // Without the userId, the admin reads their own data: ann's session is not theirs.
    expect((await query('runs.list', 'admin-key', { sessionId })).status).toBe(404);
    // A user naming another user gets FORBIDDEN.
    expect(
      (await query('sessions.get', 'user-key', { sessionId: 'x', userId: 'root' })).status,
    ).toBe(403);
  });
});
