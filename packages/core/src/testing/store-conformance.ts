// The Store conformance suite: every adapter runs it (memory, SQLite, MongoDB).
// It checks behaviour, user scoping and error handling through the interface only.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AgentRpcError } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import { emptyMetrics, type RunRecord, type RunStatus } from '../run/types.ts';
import type { Memory, Session } from '../session/types.ts';
import type { Store } from '../store/types.ts';

export interface StoreUnderTest {
  /** A store to test; called once per suite. */
  create(): Promise<Store>;
  /**
   * Makes the store's backend fail (close the connection, stop the server);
   * without it the error tests are skipped with a note.
   */
  breakBackend?(store: Store): Promise<void>;
}

const uid = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

export function sessionFixture(userId: string, fields: Partial<Session> = {}): Session {
  const now = Date.now();
  return {
    sessionId: uid('s'),
    userId,
    agentId: 'agent',
    name: 'A session',
    state: {},
    metadata: {},
    runCount: 0,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

export function runFixture(session: Session, fields: Partial<RunRecord> = {}): RunRecord {
  const now = Date.now();
  return {
    runId: uid('r'),
    sessionId: session.sessionId,
    userId: session.userId,
    agentId: session.agentId,
    status: 'completed',
    content: 'answer',
    toolCalls: [],
    messages: [{ role: 'user', content: 'question' }],
    model: 'm',
    metrics: emptyMetrics(),
    lastSeq: 0,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

/** A content delta event of run `runId` at `seq`. */
export function contentEvent(runId: string, seq: number, delta = `d${seq}`): RunEvent {
  return { type: 'run.content', runId, seq, createdAt: Date.now(), delta };
}

export function storeConformanceSuite(name: string, subject: StoreUnderTest): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    const setup = async () => {
      store ??= await subject.create();
      return store;
    };

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
        await s.createSession(
          sessionFixture(userId, { agentId: 'weather', name: 'Trip to Paris' }),
        );
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

    describe('events', () => {
      it('appends idempotently by (runId, seq) and reads after a seq', async () => {
        const s = await setup();
        const session = await s.createSession(sessionFixture(uid('u')));
        const run = runFixture(session);
        await s.appendRun(run);
        await s.appendEvents(run, [contentEvent(run.runId, 1), contentEvent(run.runId, 2)]);
        await s.appendEvents(run, [
          contentEvent(run.runId, 2, 'again'),
          contentEvent(run.runId, 3),
        ]);
        const all = await s.readEvents(run);
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(all[1]).toMatchObject({ delta: 'd2' });
        expect((await s.readEvents({ ...run, afterSeq: 1 })).map((e) => e.seq)).toEqual([2, 3]);
        expect((await s.readEvents({ ...run, afterSeq: 0, limit: 2 })).map((e) => e.seq)).toEqual([
          1, 2,
        ]);
        expect(await s.readEvents({ userId: uid('stranger'), runId: run.runId })).toEqual([]);
      });

      it('keeps whole events, terminal ones with their output included', async () => {
        const s = await setup();
        const session = await s.createSession(sessionFixture(uid('u')));
        const run = runFixture(session);
        await s.appendRun(run);
        const done: RunEvent = {
          type: 'run.completed',
          runId: run.runId,
          seq: 1,
          createdAt: Date.now(),
          output: run,
        };
        await s.appendEvents(run, [done]);
        expect(await s.readEvents(run)).toEqual([done]);
      });

      it("appends several runs' events in one call, or none when one run is not the user's", async () => {
        const s = await setup();
        if (!s.appendEventBatches) return; // optional: callers then append run by run
        const session = await s.createSession(sessionFixture(uid('u')));
        const [a, b] = [runFixture(session), runFixture(session)];
        await s.appendRun(a);
        await s.appendRun(b);
        await s.appendEventBatches([
          { key: a, events: [contentEvent(a.runId, 1), contentEvent(a.runId, 2)] },
          { key: b, events: [contentEvent(b.runId, 1)] },
        ]);
        // Again with one more each: idempotent by (runId, seq).
        await s.appendEventBatches([
          { key: a, events: [contentEvent(a.runId, 2, 'again'), contentEvent(a.runId, 3)] },
          { key: b, events: [contentEvent(b.runId, 2)] },
        ]);
        expect((await s.readEvents(a)).map((e) => [e.seq, 'delta' in e && e.delta])).toEqual([
          [1, 'd1'],
          [2, 'd2'],
          [3, 'd3'],
        ]);
        expect((await s.readEvents(b)).map((e) => e.seq)).toEqual([1, 2]);
        const stranger = { userId: uid('stranger'), runId: b.runId };
        await expect(
          s.appendEventBatches([
            { key: a, events: [contentEvent(a.runId, 4)] },
            { key: stranger, events: [contentEvent(b.runId, 3)] },
          ]),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect((await s.readEvents(a)).map((e) => e.seq)).toEqual([1, 2, 3]);
        expect((await s.readEvents(b)).map((e) => e.seq)).toEqual([1, 2]);
      });

      it("reads several runs' events in one call, each after its own seq, only the user's", async () => {
        const s = await setup();
        if (!s.readEventBatches) return; // optional: callers then read run by run
        const session = await s.createSession(sessionFixture(uid('u')));
        const [a, b, c] = [runFixture(session), runFixture(session), runFixture(session)];
        for (const run of [a, b, c]) await s.appendRun(run);
        await s.appendEvents(
          a,
          [1, 2, 3].map((seq) => contentEvent(a.runId, seq)),
        );
        await s.appendEvents(
          b,
          [1, 2].map((seq) => contentEvent(b.runId, seq)),
        );
        const seqs = (lists: RunEvent[][]) => lists.map((list) => list.map((e) => e.seq));
        expect(
          seqs(
            await s.readEventBatches([
              { ...b, afterSeq: 1 },
              { ...a, afterSeq: 0, limit: 2 },
              { ...a, afterSeq: 2 },
              { ...c, afterSeq: 0 },
              { userId: uid('stranger'), runId: a.runId },
            ]),
          ),
        ).toEqual([[2], [1, 2], [3], [], []]);
        expect(await s.readEventBatches([])).toEqual([]);
      });

      it("refuses events for another user's run", async () => {
        const s = await setup();
        const session = await s.createSession(sessionFixture(uid('u')));
        const run = runFixture(session);
        await s.appendRun(run);
        await expect(
          s.appendEvents({ userId: uid('stranger'), runId: run.runId }, [
            contentEvent(run.runId, 1),
          ]),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await s.readEvents(run)).toEqual([]);
      });
    });

    describe('memories', () => {
      it("creates, lists, updates and deletes a user's memories, and only theirs", async () => {
        const s = await setup();
        const userId = uid('u');
        const now = Date.now();
        const memory: Memory = {
          memoryId: uid('m'),
          userId,
          memory: 'likes tea',
          topics: ['drinks'],
          agentId: 'a',
          createdAt: now,
          updatedAt: now,
        };
        const other: Memory = {
          ...memory,
          memoryId: uid('m'),
          memory: 'lives in Oslo',
          topics: [],
          agentId: 'b',
          updatedAt: now + 1,
        };
        await s.createMemory(memory);
        await s.createMemory(other);
        await expect(s.createMemory(memory)).rejects.toMatchObject({ code: 'CONFLICT' });
        expect((await s.listMemories({ userId })).map((m) => m.memoryId)).toEqual([
          other.memoryId,
          memory.memoryId,
        ]);
        expect((await s.listMemories({ userId, agentId: 'a' })).map((m) => m.memoryId)).toEqual([
          memory.memoryId,
        ]);
        const updated = await s.updateMemory(
          { userId, memoryId: memory.memoryId },
          { memory: 'likes green tea' },
        );
        expect(updated).toMatchObject({ memory: 'likes green tea', topics: ['drinks'] });
        const stranger = { userId: uid('stranger'), memoryId: memory.memoryId };
        await expect(s.updateMemory(stranger, { memory: 'x' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        expect(await s.deleteMemory(stranger)).toBe(false);
        expect(await s.listMemories({ userId: stranger.userId })).toEqual([]);
        expect(await s.deleteMemory({ userId, memoryId: memory.memoryId })).toBe(true);
        expect((await s.listMemories({ userId })).map((m) => m.memoryId)).toEqual([other.memoryId]);
      });
    });

    describe('leases', () => {
      it('are exclusive until released or expired', async () => {
        const s = await setup();
        const key = uid('session');
        expect(await s.acquireLease({ key, owner: 'a', ttlMs: 10_000 })).toBe(true);
        expect(await s.acquireLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
        expect(await s.acquireLease({ key, owner: 'a', ttlMs: 10_000 })).toBe(true);
        expect(await s.renewLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
        expect(await s.renewLease({ key, owner: 'a', ttlMs: 10_000 })).toBe(true);
        await s.releaseLease({ key, owner: 'b' });
        expect(await s.acquireLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
        await s.releaseLease({ key, owner: 'a' });
        expect(await s.acquireLease({ key, owner: 'b', ttlMs: 60 })).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 120));
        expect(await s.acquireLease({ key, owner: 'c', ttlMs: 10_000 })).toBe(true);
        expect(await s.renewLease({ key, owner: 'b', ttlMs: 10_000 })).toBe(false);
      });

      it('let exactly one of many concurrent claimants win', async () => {
        const s = await setup();
        const key = uid('session');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.acquireLease({ key, owner: `o${i}`, ttlMs: 10_000 }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('response cache', () => {
      it('returns what was stored for its user until it expires', async () => {
        const s = await setup();
        const userId = uid('u');
        const response = {
          content: 'cached answer',
          toolCalls: [{ id: 'c', name: 't', arguments: '{}' }],
        };
        expect(await s.getCachedResponse({ userId, key: 'k1' })).toBeNull();
        await s.putCachedResponse({ userId, key: 'k1' }, response, 10_000);
        expect(await s.getCachedResponse({ userId, key: 'k1' })).toEqual(response);
        expect(await s.getCachedResponse({ userId: uid('stranger'), key: 'k1' })).toBeNull();
        await s.putCachedResponse({ userId, key: 'short' }, response, 40);
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect(await s.getCachedResponse({ userId, key: 'short' })).toBeNull();
      });
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
        expect((await s.listUnfinishedRuns(10_000)).map((r) => r.runId)).not.toContain(
          running.runId,
        );
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

    // Only adapters whose backend can fail (not MemoryStore) define breakBackend.
    if (subject.breakBackend) {
      const breakBackend = subject.breakBackend;
      describe('errors', () => {
        it('reports a failing backend as STORE_ERROR, never as missing data', async () => {
          const broken = await subject.create();
          const session = await broken.createSession(sessionFixture(uid('u')));
          await breakBackend(broken);
          const attempts: (() => Promise<unknown>)[] = [
            () => broken.getSession(session),
            () => broken.listSessions({ userId: session.userId }),
            () => broken.createSession(sessionFixture(uid('u'))),
            () => broken.getRun({ userId: session.userId, runId: 'r' }),
            ...(broken.getRuns
              ? [() => broken.getRuns!([{ userId: session.userId, runId: 'r' }])]
              : []),
            () => broken.listRuns({ userId: session.userId, sessionId: session.sessionId }),
            () => broken.readEvents({ userId: session.userId, runId: 'r' }),
            ...(broken.readEventBatches
              ? [() => broken.readEventBatches!([{ userId: session.userId, runId: 'r' }])]
              : []),
            () => broken.listMemories({ userId: session.userId }),
            () => broken.acquireLease({ key: 'k', owner: 'o', ttlMs: 1000 }),
          ];
          for (const attempt of attempts) {
            const error = await attempt().then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(AgentRpcError);
            expect(error).toMatchObject({ code: 'STORE_ERROR' });
          }
        });
      });
    }
  });
}
