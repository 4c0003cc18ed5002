// Free-form JSON (session state, metadata, tool results) is capped in depth at
// the edge: deeper is BAD_REQUEST and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, keys, type SecurityServer, startSecurityServer } from './security-server.ts';

/** An object `depth` levels deep. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('free-form JSON inputs', () => {
  let s: SecurityServer;
  beforeAll(async () => {
    s = await startSecurityServer();
  });
  afterAll(() => s.close());

  it('refuses sessionState or metadata nested deeper than 32 and starts nothing', async () => {
    for (const field of ['sessionState', 'metadata']) {
      const res = await call(s.url, {
        path: 'runs.start',
        key: keys.alice,
        input: { agentId: 'slow', input: 'hi', sessionId: `deep-${field}`, [field]: nested(40) },
      });
      expect(res.status).toBe(400);
      const session = await s.server.services.store.getSession({
        userId: 'alice',
        sessionId: `deep-${field}`,
      });
      expect(session).toBeNull();
    }
    expect(s.server.services.runs.activeCount).toBe(0);
  });

  it('takes the same state at a depth within the cap', async () => {
    const res = await call(s.url, {
      path: 'runs.start',
      key: keys.alice,
      input: { agentId: 'slow', input: 'hi', sessionState: nested(30) },
    });
    expect(res.status).toBe(200);
  });

  it('refuses a deep state in sessions.updateState and deep tool results in runs.continue', async () => {
    const setState = await call(s.url, {
      path: 'sessions.updateState',
      key: keys.alice,
      input: { sessionId: 'any', state: nested(40) },
    });
    expect(setState.status).toBe(400);
    const resume = await call(s.url, {
      path: 'runs.continue',
      key: keys.alice,
      input: { runId: 'any', toolResults: { call: nested(40) } },
    });
    expect(resume.status).toBe(400);
  });
});
