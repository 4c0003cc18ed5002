// Store conformance, sessions: create, read, list and page, update, merge
// state, delete with their runs, and retention of idle ones; each user's own.
import { describe, expect, it } from 'vitest';
import type { Session } from '../session/types.ts';
import type { Store } from '../store/types.ts';
import { contentEvent, runFixture, sessionFixture, uid } from './store-fixtures.ts';

/** The cases of this part; `setup` gives the suite's store. */
export function sessionCases(setup: () => Promise<Store>): void {
  describe('sessions', () => {
    it('creates, reads and refuses a duplicate id of the same user', async () => {
      const s = await setup();
      const session = sessionFixture(uid('u'), {
        state: { a: { b: 1 } },
        metadata: { tag: 'x' },
      });
      expect(await s.createSession(session)).toEqual(session);
      expect(await s.getSession(session)).toEqual(session);
      await expect(s.createSession({ ...session, name: 'again' })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
    });

    it('keeps ids per user: two users hold the same session and run ids apart', async () => {
      const s = await setup();
      const sessionId = uid('shared-session');
      const runId = uid('shared-run');
      const alice = await s.createSession(sessionFixture(uid('alice'), { sessionId, name: 'A' }));
      const bob = await s.createSession(sessionFixture(uid('bob'), { sessionId, name: 'B' }));
      await s.appendRun(runFixture(alice, { runId, content: 'alice answer' }));
      await s.appendRun(runFixture(bob, { runId, content: 'bob answer' }));
      await s.appendEvents({ userId: alice.userId, runId }, [contentEvent(runId, 1, 'a')]);
      await s.appendEvents({ userId: bob.userId, runId }, [contentEvent(runId, 1, 'b')]);
      expect((await s.getSession(alice))?.name).toBe('A');
      expect((await s.getSession(bob))?.name).toBe('B');
      expect((await s.getRun({ userId: bob.userId, runId }))?.content).toBe('bob answer');
      const bobRuns = await s.listRuns({ userId: bob.userId, sessionId });
      expect(bobRuns.map((run) => run.content)).toEqual(['bob answer']);
      const bobEvents = await s.readEvents({ userId: bob.userId, runId });
      expect(bobEvents).toMatchObject([{ delta: 'b' }]);
      // Deleting one user's session leaves the other's, with its run and events.
      expect(await s.deleteSession(alice)).toBe(true);
      expect(await s.getSession(bob)).not.toBeNull();
      expect((await s.getRun({ userId: bob.userId, runId }))?.content).toBe('bob answer');
      expect(await s.readEvents({ userId: bob.userId, runId })).toMatchObject([{ delta: 'b' }]);
      expect(await s.getRun({ userId: alice.userId, runId })).toBeNull();
    });

    it("never shows one user another user's session", async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const stranger = { userId: uid('stranger'), sessionId: session.sessionId };
      expect(await s.getSession(stranger)).toBeNull();
      await expect(s.updateSession(stranger, { name: 'x' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(s.updateSessionState(stranger, { x: 1 })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await s.deleteSession(stranger)).toBe(false);
      expect((await s.listSessions({ userId: stranger.userId })).items).toEqual([]);
      expect(await s.getSession(session)).not.toBeNull();
    });

    it('pages through sessions with a cursor, newest first, without repeats', async () => {
      const s = await setup();
      const userId = uid('u');
      const base = Date.now() - 100_000;
      for (let i = 0; i < 25; i++) {
        // Two sessions share each timestamp, so ties are ordered too.
        await s.createSession(
          sessionFixture(userId, { updatedAt: base + Math.floor(i / 2), createdAt: base - i }),
        );
      }
      const seen: Session[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.listSessions({ userId, limit: 10, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(10);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen.map((x) => x.sessionId)).size).toBe(25);
      const times = seen.map((x) => x.updatedAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const byCreated = await s.listSessions({
        userId,
        sortBy: 'createdAt',
        order: 'asc',
        limit: 100,
      });
      const created = byCreated.items.map((x) => x.createdAt);
      expect(created).toEqual([...created].sort((a, b) => a - b));
      await expect(s.listSessions({ userId, cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'BAD_INPUT',
      });
    });

    it('filters by agent and by name, case-insensitively', async () => {
      const s = await setup();
      const userId = uid('u');
      await s.createSession(sessionFixture(userId, { agentId: 'weather', name: 'Trip to Paris' }));
      await s.createSession(sessionFixture(userId, { agentId: 'weather', name: 'Budget 100%' }));
      await s.createSession(
        sessionFixture(userId, { agentId: 'support', name: 'Refund paris order' }),
      );
      expect((await s.listSessions({ userId, agentId: 'weather' })).items).toHaveLength(2);
      expect((await s.listSessions({ userId, name: 'PARIS' })).items).toHaveLength(2);
      expect((await s.listSessions({ userId, name: '100%' })).items.map((x) => x.name)).toEqual([
        'Budget 100%',
      ]);
      expect((await s.listSessions({ userId, name: '_' })).items).toEqual([]);
    });

    it('renames, counts runs, replaces state and deep-merges it', async () => {
      const s = await setup();
      const session = await s.createSession(
        sessionFixture(uid('u'), { state: { prefs: { unit: 'C', lang: 'en' }, list: [1] } }),
      );
      const renamed = await s.updateSession(session, {
        name: 'Renamed',
        addRuns: 2,
        summary: 'sum',
        addUsage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.25 },
      });
      expect(renamed).toMatchObject({ name: 'Renamed', runCount: 2, summary: 'sum' });
      const again = await s.updateSession(session, {
        addUsage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, costUsd: 0.5 },
      });
      expect(again.usage).toEqual({
        inputTokens: 11,
        outputTokens: 6,
        totalTokens: 17,
        costUsd: 0.75,
      });
      expect(renamed.updatedAt).toBeGreaterThanOrEqual(session.updatedAt);
      const merged = await s.updateSessionState(session, {
        prefs: { unit: 'F' },
        list: [2],
        gone: undefined,
        added: true,
      });
      expect(merged.state).toEqual({ prefs: { unit: 'F', lang: 'en' }, list: [2], added: true });
      const replaced = await s.updateSession(session, { state: { only: 1 } });
      expect(replaced.state).toEqual({ only: 1 });
      expect((await s.getSession(session))?.state).toEqual({ only: 1 });
    });

    it('deletes a session with its runs and events', async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const run = runFixture(session);
      await s.appendRun(run);
      await s.appendEvents(run, [contentEvent(run.runId, 1)]);
      expect(await s.deleteSession(session)).toBe(true);
      expect(await s.getSession(session)).toBeNull();
      expect(await s.getRun(run)).toBeNull();
      expect(await s.readEvents(run)).toEqual([]);
      expect(await s.deleteSession(session)).toBe(false);
    });
  });

  describe('retention', () => {
    it('deletes sessions idle since before a time, with their runs and events', async () => {
      const s = await setup();
      const userId = uid('u');
      const old = await s.createSession(
        sessionFixture(userId, { updatedAt: 1000, createdAt: 1000 }),
      );
      const fresh = await s.createSession(sessionFixture(userId));
      const run = runFixture(old);
      await s.appendRun(run);
      await s.appendEvents(run, [contentEvent(run.runId, 1)]);
      expect(await s.deleteIdleSessions(2000)).toBeGreaterThanOrEqual(1);
      expect(await s.getSession(old)).toBeNull();
      expect(await s.getRun(run)).toBeNull();
      expect(await s.getSession(fresh)).not.toBeNull();
    });
  });
}
