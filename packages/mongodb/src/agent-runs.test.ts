// An agent's runs on MongoStore: a run in a session the agent makes sends
// the session, its lease and its record at once (three round trips together),
// and a refused one leaves nothing behind.
import { Agent, DemoModel } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import { mongoUrlOrSkip, testDatabases } from './test-support/test-database.ts';

const url = mongoUrlOrSkip('MongoStore under an agent');
if (url) {
  const { newDbName, storeOn } = testDatabases(url);

  describe('MongoStore under an agent', () => {
    it('keeps a run in a session the agent made, and nothing of a refused one', async () => {
      const store = await storeOn(newDbName());
      const agent = new Agent({ id: 'a', model: new DemoModel({ chunkDelayMs: 0 }), store });
      const out = await agent.run('hello', { userId: 'u' });
      expect(await store.getSession({ userId: 'u', sessionId: out.sessionId })).toMatchObject({
        runCount: 1,
      });
      expect(await store.getRun({ userId: 'u', runId: out.runId })).toMatchObject({
        status: 'completed',
        sessionId: out.sessionId,
      });
      await expect(agent.run('again', { userId: 'u', runId: out.runId })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      const sessions = (await store.listSessions({ userId: 'u' })).items;
      expect(sessions.map((session) => session.sessionId)).toEqual([out.sessionId]);
      expect(await store.getRun({ userId: 'u', runId: out.runId })).toMatchObject({
        status: 'completed',
      });
      // The session is free for its next run.
      const next = await agent.run('more', { userId: 'u', sessionId: out.sessionId });
      expect(next.sessionId).toBe(out.sessionId);
    });
  });
}
