// Store conformance, runs: append, read, update, list a session's runs, read
// several at once, and list the unfinished ones a restart recovers.
import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../run/types.ts';
import type { Store } from '../store/types.ts';
import { runFixture, sessionFixture, uid } from './store-fixtures.ts';

/** The cases of this part; `setup` gives the suite's store. */
export function runCases(setup: () => Promise<Store>): void {
  describe('runs', () => {
    it('appends, reads, updates and refuses a duplicate run id', async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const run = runFixture(session, {
        status: 'running',
        content: '',
        servedBy: 'http://10.0.0.7:3000',
      });
      await s.appendRun(run);
      expect(await s.getRun(run)).toEqual(run);
      await expect(s.appendRun(run)).rejects.toMatchObject({ code: 'CONFLICT' });
      const updated = await s.updateRun(run, {
        status: 'completed',
        content: 'done',
        lastSeq: 7,
        error: { code: 'X', message: 'y' },
        servedBy: 'http://10.0.0.8:3000',
      });
      expect(updated).toMatchObject({
        status: 'completed',
        content: 'done',
        lastSeq: 7,
        runId: run.runId,
        error: { code: 'X' },
        servedBy: 'http://10.0.0.8:3000',
      });
      expect(await s.getRun(run)).toEqual(updated);
    });

    it('keeps what it was given when called, not what the caller changed after', async () => {
      const s = await setup();
      const session = sessionFixture(uid('u'));
      const creating = s.createSession(session);
      session.name = 'changed';
      await creating;
      const run = runFixture(session, { status: 'running', content: '' });
      const appending = s.appendRun(run);
      run.content = 'changed';
      await appending;
      const patch = { content: 'first', metadata: { note: 'first' } };
      const updating = s.updateRun(run, patch);
      patch.content = 'changed';
      patch.metadata.note = 'changed';
      expect(await updating).toMatchObject({ content: 'first', metadata: { note: 'first' } });
      expect(await s.getSession(session)).toMatchObject({ name: 'A session' });
      expect(await s.getRun(run)).toMatchObject({
        content: 'first',
        metadata: { note: 'first' },
      });
    });

    it('keeps runs to their user', async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const run = runFixture(session);
      await s.appendRun(run);
      const stranger = { userId: uid('stranger'), runId: run.runId };
      expect(await s.getRun(stranger)).toBeNull();
      await expect(s.updateRun(stranger, { status: 'cancelled' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await s.listRuns({ userId: stranger.userId, sessionId: session.sessionId })).toEqual(
        [],
      );
      expect((await s.getRun(run))?.status).toBe('completed');
    });

    it('lists a session’s runs by status, in either order, with a limit', async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const base = Date.now();
      const statuses: RunStatus[] = ['completed', 'error', 'completed', 'completed', 'paused'];
      const runs = statuses.map((status, i) =>
        runFixture(session, { status, createdAt: base + i }),
      );
      for (const run of runs) await s.appendRun(run);
      const all = await s.listRuns({
        userId: session.userId,
        sessionId: session.sessionId,
        order: 'asc',
      });
      expect(all.map((r) => r.runId)).toEqual(runs.map((r) => r.runId));
      const lastTwoCompleted = await s.listRuns({
        userId: session.userId,
        sessionId: session.sessionId,
        status: 'completed',
        order: 'desc',
        limit: 2,
      });
      expect(lastTwoCompleted.map((r) => r.runId)).toEqual([runs[3]?.runId, runs[2]?.runId]);
    });
  });

  it("reads several runs' records in one call, in the order asked, only the user's", async () => {
    const s = await setup();
    if (!s.getRuns) return; // optional: callers then read run by run
    const session = await s.createSession(sessionFixture(uid('u')));
    const [a, b] = [runFixture(session), runFixture(session, { status: 'running' })];
    await s.appendRun(a);
    await s.appendRun(b);
    const read = await s.getRuns([
      b,
      { userId: uid('stranger'), runId: a.runId },
      a,
      { userId: session.userId, runId: 'missing' },
    ]);
    expect(read.map((run) => run?.runId ?? null)).toEqual([b.runId, null, a.runId, null]);
    expect(read[0]).toEqual(await s.getRun(b));
    expect(await s.getRuns([])).toEqual([]);
  });

  it("says which runs must stop: asked to cancel, gone, or not the user's; not an ended one", async () => {
    const s = await setup();
    if (!s.getStopRequests) return; // optional: callers then read the records
    const session = await s.createSession(sessionFixture(uid('u')));
    const [going, asked, ended] = [
      runFixture(session, { status: 'running' }),
      runFixture(session, { status: 'running' }),
      runFixture(session, { status: 'running' }),
    ];
    for (const run of [going, asked, ended]) await s.appendRun(run);
    await s.updateRun(asked, { cancelRequestedAt: Date.now() });
    await s.updateRun(ended, { status: 'completed' });
    const keys = [
      going,
      asked,
      ended,
      { userId: uid('stranger'), runId: going.runId },
      { userId: session.userId, runId: 'missing' },
    ];
    expect(await s.getStopRequests(keys)).toEqual([false, true, false, true, true]);
    // Many at once answer in order too (stores may read them in slices).
    const many = Array.from({ length: 150 }, (_, i) => (i === 140 ? asked : going));
    const stops = await s.getStopRequests(many);
    expect(stops.map((stop, i) => (stop ? i : -1)).filter((i) => i >= 0)).toEqual([140]);
    expect(await s.getStopRequests([])).toEqual([]);
    // A run whose session is deleted is gone.
    await s.deleteSession(session);
    expect(await s.getStopRequests([going])).toEqual([true]);
  });

  describe('recovery', () => {
    it('lists unfinished runs across users, oldest first', async () => {
      const s = await setup();
      const a = await s.createSession(sessionFixture(uid('u')));
      const b = await s.createSession(sessionFixture(uid('u')));
      const running = runFixture(a, { status: 'running', createdAt: 5 });
      const pending = runFixture(b, { status: 'pending', createdAt: 6 });
      await s.appendRun(running);
      await s.appendRun(pending);
      await s.appendRun(runFixture(a, { status: 'completed', createdAt: 4 }));
      const ids = (await s.listUnfinishedRuns(10_000)).map((r) => r.runId);
      expect(ids.indexOf(running.runId)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(running.runId)).toBeLessThan(ids.indexOf(pending.runId));
      await s.updateRun(running, { status: 'error' });
      expect((await s.listUnfinishedRuns(10_000)).map((r) => r.runId)).not.toContain(running.runId);
    });
  });
}
