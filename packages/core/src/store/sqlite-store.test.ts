import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../run/events.ts';
import { runFixture, sessionFixture, storeConformanceSuite } from '../testing/store-conformance.ts';
import { migrate } from './sqlite-migrations.ts';
import { SqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'agentrpc-sqlite-'));
let n = 0;
const fresh = () => new SqliteStore({ path: join(dir, `store-${n++}.db`) });

/** A database file left at schema `version`, and a statement adding a run row as versions 6 and 7 have it. */
function databaseAt(name: string, version: number) {
  const path = join(dir, name);
  const old = new DatabaseSync(path);
  migrate(old, version);
  const insertRun = old.prepare(
    'INSERT INTO runs (run_id, session_id, user_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return { path, old, insertRun };
}

storeConformanceSuite('SqliteStore', {
  create: async () => fresh(),
  breakBackend: (store) => store.close(),
});

storeConformanceSuite('SqliteStore writing events on the calling thread', {
  create: async () =>
    new SqliteStore({ path: join(dir, `store-${n++}.db`), eventWrites: 'inline' }),
  breakBackend: (store) => store.close(),
});

describe('SqliteStore file', () => {
  it('keeps its data across a close and reopen, in WAL mode, at the latest schema version', async () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteStore({ path });
    const session = await first.createSession(sessionFixture('u', { state: { n: 1 } }));
    await first.close();
    const second = new SqliteStore({ path });
    expect(await second.getSession(session)).toEqual(session);
    await second.close();
    const raw = new DatabaseSync(path);
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: 9 });
    raw.close();
  });

  it('moves a version 3 database to ids per user, keeping its sessions, runs and events', async () => {
    const path = join(dir, 'v3.db');
    const old = new DatabaseSync(path);
    migrate(old, 3);
    const session = sessionFixture('u', { sessionId: 'kept' });
    const run = { runId: 'r1', userId: 'u', sessionId: 'kept', status: 'completed' };
    old
      .prepare(
        'INSERT INTO sessions (session_id, user_id, agent_id, name, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run('kept', 'u', 'agent', session.name, 1, 1, JSON.stringify(session));
    old
      .prepare(
        'INSERT INTO runs (run_id, session_id, user_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('r1', 'kept', 'u', 'completed', 1, JSON.stringify(run));
    old
      .prepare('INSERT INTO events (run_id, seq, user_id, data) VALUES (?, ?, ?, ?)')
      .run('r1', 1, 'u', JSON.stringify({ type: 'run.content', runId: 'r1', seq: 1, delta: 'x' }));
    old.close();
    const store = new SqliteStore({ path });
    expect(await store.getSession({ userId: 'u', sessionId: 'kept' })).toEqual(session);
    expect(await store.getRun({ userId: 'u', runId: 'r1' })).toMatchObject({ sessionId: 'kept' });
    expect(await store.readEvents({ userId: 'u', runId: 'r1' })).toMatchObject([{ delta: 'x' }]);
    // And now another user may hold the same ids.
    await store.createSession(sessionFixture('v', { sessionId: 'kept' }));
    await store.close();
  });

  it('moves a version 4 event log to arrival order, keeping its events and reading them by index', async () => {
    const path = join(dir, 'v4.db');
    const old = new DatabaseSync(path);
    migrate(old, 4);
    old
      .prepare(
        'INSERT INTO runs (run_id, session_id, user_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('r1', 's', 'u', 'completed', 1, JSON.stringify({ runId: 'r1', userId: 'u' }));
    const insert = old.prepare(
      'INSERT INTO events (run_id, seq, user_id, data) VALUES (?, ?, ?, ?)',
    );
    for (const seq of [2, 1, 3]) {
      insert.run('r1', seq, 'u', JSON.stringify({ type: 'run.content', seq, delta: `${seq}` }));
    }
    old.close();
    const store = new SqliteStore({ path });
    const read = await store.readEvents({ userId: 'u', runId: 'r1', afterSeq: 1 });
    expect(read.map((event) => event.seq)).toEqual([2, 3]);
    // Appending what is there already changes nothing; a new event goes after.
    await store.appendEvents({ userId: 'u', runId: 'r1' }, [
      { type: 'run.content', runId: 'r1', seq: 3, delta: 'again', createdAt: 1 },
      { type: 'run.content', runId: 'r1', seq: 4, delta: '4', createdAt: 1 },
    ] as RunEvent[]);
    const all = await store.readEvents({ userId: 'u', runId: 'r1' });
    expect(all.map((event) => (event as { delta: string }).delta)).toEqual(['1', '2', '3', '4']);
    await store.close();
    const raw = new DatabaseSync(path);
    const plan = raw
      .prepare(
        `EXPLAIN QUERY PLAN SELECT e.data FROM event_segments s JOIN events e ON e.seg = s.seg
         WHERE s.run_num = ? AND s.seg >= ? AND e.seq > ? ORDER BY s.seg, e.seq LIMIT ?`,
      )
      .all(1, 0, 0, 10)
      .map((row) => String(row.detail));
    // Both tables by index, in the order asked for, without sorting.
    expect(plan).toEqual([
      expect.stringContaining('USING COVERING INDEX event_segments_by_run'),
      expect.stringContaining('USING INDEX events_by_segment'),
    ]);
    raw.close();
  });

  it("writes a run's events of one append in one row, and reads from the middle of it", async () => {
    const path = join(dir, 'rows.db');
    const store = new SqliteStore({ path });
    const session = await store.createSession(sessionFixture('u'));
    const key = { userId: 'u', runId: 'r1' };
    await store.appendRun(runFixture(session, { runId: 'r1' }));
    const event = (seq: number) =>
      ({ type: 'run.content', runId: 'r1', seq, delta: `${seq}`, createdAt: 1 }) as RunEvent;
    await store.appendEventBatches([{ key, events: [event(1), event(2), event(3)] }]);
    await store.appendEvents(key, [event(4)]);
    // Tried again with one more: only the new one is written.
    await store.appendEvents(key, [event(4), event(5)]);
    const seqs = async (afterSeq: number, limit?: number) =>
      (await store.readEvents({ ...key, afterSeq, ...(limit ? { limit } : {}) })).map((e) => e.seq);
    expect(await seqs(0)).toEqual([1, 2, 3, 4, 5]);
    expect(await seqs(1)).toEqual([2, 3, 4, 5]);
    expect(await seqs(2, 2)).toEqual([3, 4]);
    expect(await seqs(5)).toEqual([]);
    await store.close();
    const raw = new DatabaseSync(path);
    const rows = raw.prepare('SELECT seq, last_seq FROM events ORDER BY seq').all();
    expect(rows.map((row) => [row.seq, row.last_seq])).toEqual([
      [1, 3],
      [4, null],
      [5, null],
    ]);
    // Rows that overlap (written by different versions) still give each event once.
    raw
      .prepare(
        'INSERT INTO events (seg, seq, last_seq, data) VALUES ((SELECT max(seg) FROM event_segments), 2, 4, ?)',
      )
      .run(JSON.stringify([event(2), event(3), event(4)]));
    raw.close();
    const reopened = new SqliteStore({ path });
    const read = await reopened.readEvents({ ...key, afterSeq: 1 });
    expect(read.map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    await reopened.close();
  });

  it("stores deltas without the run's id and reads every event whole, rows with the id included", async () => {
    const path = join(dir, 'stored-deltas.db');
    const store = new SqliteStore({ path });
    const session = await store.createSession(sessionFixture('u'));
    const key = { userId: 'u', runId: 'run-with-a-long-id' };
    await store.appendRun(runFixture(session, { runId: key.runId }));
    const events: RunEvent[] = [
      { type: 'run.content', runId: key.runId, seq: 1, createdAt: 10, delta: 'a "quoted"\n' },
      { type: 'run.reasoning', runId: key.runId, seq: 2, createdAt: 11, delta: 'é🙂\u2028' },
      { type: 'run.continued', runId: key.runId, seq: 3, createdAt: 12 },
      { type: 'run.content', runId: key.runId, seq: 4, createdAt: Number.NaN, delta: 'x' },
    ];
    await store.appendEvents(key, events.slice(0, 2));
    await store.appendEvents(key, events.slice(2));
    const read = await store.readEvents(key);
    expect(read).toEqual([...events.slice(0, 3), { ...events[3], createdAt: null }]);
    await store.close();
    const raw = new DatabaseSync(path);
    const texts = raw
      .prepare('SELECT data FROM events ORDER BY seq')
      .all()
      .map((row) => String(row.data));
    expect(texts[0]).not.toContain(key.runId);
    // Not a delta, and a delta with a number JSON cannot spell: stored whole.
    expect(texts[1]).toContain(key.runId);
    // An older row, written with the run's id in each delta, reads the same.
    raw.prepare('UPDATE events SET data = ? WHERE seq = 1').run(JSON.stringify(events.slice(0, 2)));
    raw.close();
    const reopened = new SqliteStore({ path });
    expect((await reopened.readEvents({ ...key, limit: 2 })).slice(0, 2)).toEqual(
      events.slice(0, 2),
    );
    await reopened.close();
  });

  it("numbers a version 6 database's runs and keeps each run's events, of users sharing run ids", async () => {
    const { path, old, insertRun } = databaseAt('v6.db', 6);
    const insertEvents = old.prepare(
      'INSERT INTO events (run_id, seq, last_seq, user_id, data) VALUES (?, ?, ?, ?, ?)',
    );
    const event = (userId: string, seq: number) =>
      ({
        type: 'run.content',
        runId: 'r1',
        seq,
        delta: `${userId}${seq}`,
        createdAt: 1,
      }) as RunEvent;
    for (const userId of ['u', 'v']) {
      insertRun.run('r1', 's', userId, 'completed', 1, JSON.stringify({ runId: 'r1', userId }));
      insertEvents.run('r1', 1, 2, userId, JSON.stringify([event(userId, 1), event(userId, 2)]));
      insertEvents.run('r1', 3, null, userId, JSON.stringify(event(userId, 3)));
    }
    old.close();
    const store = new SqliteStore({ path });
    const deltas = async (userId: string, afterSeq: number) =>
      (await store.readEvents({ userId, runId: 'r1', afterSeq })).map(
        (e) => (e as { delta: string }).delta,
      );
    expect(await deltas('u', 0)).toEqual(['u1', 'u2', 'u3']);
    expect(await deltas('v', 1)).toEqual(['v2', 'v3']);
    // A new run gets the next number; appending and deleting go by it.
    const session = await store.createSession(sessionFixture('u'));
    await store.appendRun(runFixture(session, { runId: 'r2' }));
    await store.appendEvents({ userId: 'u', runId: 'r2' }, [event('u', 1)]);
    expect(await store.readEvents({ userId: 'u', runId: 'r2' })).toHaveLength(1);
    await store.deleteSession(session);
    await store.close();
    const raw = new DatabaseSync(path);
    expect(raw.prepare('SELECT num, user_id, run_id FROM runs ORDER BY num').all()).toEqual([
      { num: 1, user_id: 'u', run_id: 'r1' },
      { num: 2, user_id: 'v', run_id: 'r1' },
    ]);
    // Each run's events make one segment, numbered as the run.
    expect(raw.prepare('SELECT seg, seq FROM events ORDER BY id').all()).toEqual([
      { seg: 1, seq: 1 },
      { seg: 1, seq: 3 },
      { seg: 2, seq: 1 },
      { seg: 2, seq: 3 },
    ]);
    expect(raw.prepare('SELECT seg, run_num, first_seq FROM event_segments').all()).toEqual([
      { seg: 1, run_num: 1, first_seq: 1 },
      { seg: 2, run_num: 2, first_seq: 1 },
    ]);
    raw.close();
  });

  it("makes each run's events of a version 8 database one segment, and appends in new ones", async () => {
    const { path, old, insertRun } = databaseAt('v8.db', 8);
    insertRun.run('r1', 's', 'u', 'completed', 1, JSON.stringify({ runId: 'r1', userId: 'u' }));
    const insertEvents = old.prepare(
      'INSERT INTO events (run_num, seq, last_seq, data) VALUES (1, ?, ?, ?)',
    );
    const event = (seq: number) =>
      ({ type: 'run.content', runId: 'r1', seq, delta: `${seq}`, createdAt: 1 }) as RunEvent;
    insertEvents.run(1, 2, JSON.stringify([event(1), event(2)]));
    insertEvents.run(3, null, JSON.stringify(event(3)));
    old.close();
    const store = new SqliteStore({ path });
    const key = { userId: 'u', runId: 'r1' };
    await store.appendEvents(key, [event(3), event(4)]);
    const read = await store.readEvents({ ...key, afterSeq: 1 });
    expect(read.map((e) => e.seq)).toEqual([2, 3, 4]);
    await store.close();
    const raw = new DatabaseSync(path);
    expect(raw.prepare('SELECT seg, first_seq FROM event_segments ORDER BY seg').all()).toEqual([
      { seg: 1, first_seq: 1 },
      { seg: 2, first_seq: 4 },
    ]);
    raw.close();
  });

  it("keeps a version 7 database's cancel requests, read now from a column of their own", async () => {
    const { path, old, insertRun } = databaseAt('v7.db', 7);
    for (const [runId, fields] of [
      ['asked', { cancelRequestedAt: 5 }],
      ['going', {}],
    ] as const) {
      const record = { runId, userId: 'u', status: 'running', ...fields };
      insertRun.run(runId, 's', 'u', 'running', 1, JSON.stringify(record));
    }
    old.close();
    const store = new SqliteStore({ path });
    const keys = ['asked', 'going'].map((runId) => ({ userId: 'u', runId }));
    expect(await store.getStopRequests(keys)).toEqual([true, false]);
    await store.updateRun(keys[1]!, { cancelRequestedAt: 6 });
    expect(await store.getStopRequests(keys)).toEqual([true, true]);
    await store.close();
  });

  it('waits for a write lock another connection holds without blocking the event loop', async () => {
    const path = join(dir, 'locked.db');
    const store = new SqliteStore({ path });
    await store.createSession(sessionFixture('u', { sessionId: 'first' }));
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    const writing = store.createSession(sessionFixture('u', { sessionId: 'second' }));
    // The write waits, yet timers still run meanwhile.
    const timersRan = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50));
    expect(timersRan).toBe(true);
    expect(await Promise.race([writing.then(() => 'written'), Promise.resolve('waiting')])).toBe(
      'waiting',
    );
    other.exec('COMMIT');
    other.close();
    await writing;
    expect(await store.getSession({ userId: 'u', sessionId: 'second' })).toMatchObject({
      sessionId: 'second',
    });
    await store.close();
  });

  it('fails a write with STORE_ERROR when the lock is held past busyTimeoutMs, and writes again after', async () => {
    const path = join(dir, 'held.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 100 });
    await store.createSession(sessionFixture('u', { sessionId: 'first' }));
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    await expect(
      store.createSession(sessionFixture('u', { sessionId: 'second' })),
    ).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/locked/) });
    other.exec('COMMIT');
    other.close();
    await store.createSession(sessionFixture('u', { sessionId: 'second' }));
    expect(await store.getSession({ userId: 'u', sessionId: 'second' })).not.toBeNull();
    await store.close();
  });

  it('fails a write it cannot serialise with STORE_ERROR, as a rejection, and writes the next', async () => {
    const store = fresh();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { metadata: { big: 1n } });
    let writing: Promise<void> | undefined;
    expect(() => {
      writing = store.appendRun(run);
    }).not.toThrow();
    await expect(writing).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringMatching(/append a run: .*BigInt/),
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(store.updateSessionState(session, { circular })).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    await store.appendRun(runFixture(session));
    await store.close();
  });

  it('creates the folder of its default-style path', async () => {
    const store = new SqliteStore({ path: join(dir, 'nested', 'deeper', 'agentrpc.db') });
    await store.createSession(sessionFixture('u'));
    await store.close();
  });

  it('reports an unusable file as STORE_ERROR', async () => {
    // A path whose parent is a file cannot be opened.
    const file = join(dir, 'plain-file');
    new DatabaseSync(file).close();
    const broken = new SqliteStore({ path: join(file, 'x.db') });
    await expect(broken.getSession({ userId: 'u', sessionId: 's' })).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
  });
});
