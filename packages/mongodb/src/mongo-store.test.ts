import { randomUUID } from 'node:crypto';
import {
  contentEvent,
  runFixture,
  sessionFixture,
  storeConformanceSuite,
} from '@agentrpc/core/testing';
import { type Db, MongoClient } from 'mongodb';
import { describe, expect, it, vi } from 'vitest';
import { MongoStore } from './mongo-store.ts';
import { mongoUrlOrSkip, testDatabases } from './test-support/test-database.ts';

const url = mongoUrlOrSkip('MongoStore');
if (url) {
  const { newDbName, storeOn, dbNamed, stores, clients } = testDatabases(url);
  storeConformanceSuite('MongoStore', {
    create: () => storeOn(newDbName()),
    breakBackend: (store) => (store as MongoStore).close(),
  });

  /** A store on a database of its own, and that database read directly. */
  const storeAndDb = async () => {
    const dbName = newDbName();
    return { store: await storeOn(dbName), db: dbNamed(dbName) };
  };
  const idsIn = (db: Db, name: string) =>
    db
      .collection(name)
      .find({})
      .map((d) => String(d._id))
      .toArray();

  describe('MongoStore runs by status', () => {
    it('keeps a run in active_runs while it runs and moves it to runs when it ends', async () => {
      const { store, db } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      const run = runFixture(session, { runId: 'r1', status: 'running', content: '' });
      await store.appendRun(run);
      expect(await idsIn(db, 'active_runs')).toEqual(['1:u:r1']);
      expect(await idsIn(db, 'runs')).toEqual([]);
      await store.updateRun({ userId: 'u', runId: 'r1' }, { cancelRequestedAt: 5 });
      const done = await store.updateRun(
        { userId: 'u', runId: 'r1' },
        { status: 'completed', content: 'answer' },
      );
      expect(done).toMatchObject({ status: 'completed', content: 'answer', cancelRequestedAt: 5 });
      expect(await idsIn(db, 'active_runs')).toEqual([]);
      expect(await idsIn(db, 'runs')).toEqual(['1:u:r1']);
      expect(await store.getRun({ userId: 'u', runId: 'r1' })).toEqual(done);
      // Its id stays taken after it moved, and stays the user's own.
      await expect(store.appendRun(run)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.getRun({ userId: 'v', runId: 'r1' })).toBeNull();
      expect(await store.listUnfinishedRuns()).toEqual([]);
    });

    it('answers the history window from the session document, and from runs past its size budget', async () => {
      const { store, db } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      const big = 'x'.repeat(300 * 1024);
      const runs = [
        runFixture(session, { runId: 'a', createdAt: 1, content: big }),
        runFixture(session, { runId: 'b', createdAt: 2 }),
        runFixture(session, { runId: 'c', createdAt: 3 }),
      ];
      for (const run of runs) await store.appendRun(run);
      const window = { userId: 'u', sessionId: session.sessionId, status: 'completed' as const };
      expect(await store.listRuns({ ...window, limit: 3 })).toEqual([...runs].reverse());
      // The two small ones are copies on the session document: still answered with their runs gone.
      await db.collection<{ _id: string }>('runs').deleteMany({ _id: { $in: ['1:u:b', '1:u:c'] } });
      expect((await store.listRuns({ ...window, limit: 3 })).map((r) => r.runId)).toEqual([
        'c',
        'b',
        'a',
      ]);
      // A completed run updated later is answered as updated; one no longer completed drops out.
      await store.appendRun(runFixture(session, { runId: 'd', createdAt: 4 }));
      await store.updateRun({ userId: 'u', runId: 'd' }, { content: 'edited' });
      expect((await store.listRuns({ ...window, limit: 1 }))[0]?.content).toBe('edited');
      await store.updateRun({ userId: 'u', runId: 'd' }, { status: 'error' });
      expect((await store.listRuns({ ...window, limit: 1 }))[0]?.runId).toBe('c');
      expect(await store.getSession({ userId: 'u', sessionId: session.sessionId })).toEqual(
        session,
      );
    });

    it('answers an id no run has from run_ids, without reading runs', async () => {
      const { store, db } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      const ended = runFixture(session, { runId: 'r1' });
      await store.appendRun(ended);
      expect(await store.getRun({ userId: 'u', runId: 'r1' })).toEqual(ended);
      // A document in runs without its id in run_ids is not one the store wrote: never found.
      const stray = { ...runFixture(session, { runId: 'r2' }), _id: '1:u:r2' };
      await db.collection('runs').insertOne(stray as never);
      expect(await store.getRun({ userId: 'u', runId: 'r2' })).toBeNull();
    });

    it('appends to a run it wrote without asking, and checks one written elsewhere by its id', async () => {
      const dbName = newDbName();
      const [a, b] = [await storeOn(dbName), await storeOn(dbName)];
      const db = dbNamed(dbName);
      const session = await a.createSession(sessionFixture('u'));
      await a.appendRun(runFixture(session, { runId: 'r1', status: 'running' }));
      // b has not seen r1: its id must be in run_ids, whatever else holds a document.
      await db.collection('run_ids').deleteOne({ _id: '1:u:r1' } as never);
      await expect(
        b.appendEvents({ userId: 'u', runId: 'r1' }, [contentEvent('r1', 1)]),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // a wrote r1 a moment ago and knows it.
      await a.appendEvents({ userId: 'u', runId: 'r1' }, [contentEvent('r1', 1)]);
      await db.collection('run_ids').insertOne({ _id: '1:u:r1', userId: 'u' } as never);
      await b.appendEvents({ userId: 'u', runId: 'r1' }, [contentEvent('r1', 2)]);
      // Another user's run of that id is not theirs, known or not.
      await expect(
        b.appendEvents({ userId: 'v', runId: 'r1' }, [contentEvent('r1', 3)]),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await a.readEvents({ userId: 'u', runId: 'r1' })).map((e) => e.seq)).toEqual([1, 2]);
    });

    it('looks again at a run known a while beside its appends, and refuses them once it is gone', async () => {
      const { store, db } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      await store.appendRun(runFixture(session, { runId: 'r1', status: 'running' }));
      const key = { userId: 'u', runId: 'r1' };
      await store.appendEvents(key, [contentEvent('r1', 1)]);
      // Deleted elsewhere (its id gone from run_ids), and known here for over 5 s.
      await db.collection('run_ids').deleteOne({ _id: '1:u:r1' } as never);
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 6_000);
        // Still known: this append does not wait for the look it starts.
        await store.appendEvents(key, [contentEvent('r1', 2)]);
        let seq = 3;
        await expect
          .poll(() =>
            store.appendEvents(key, [contentEvent('r1', seq++)]).then(
              () => 'stored',
              (error: { code?: string }) => error.code,
            ),
          )
          .toBe('NOT_FOUND');
      } finally {
        vi.useRealTimers();
      }
    });

    it('reads ended runs by id rather than all of runs', async () => {
      const { store, db } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      const runs = ['r1', 'r2', 'r3'].map((runId) => runFixture(session, { runId }));
      for (const run of runs) await store.appendRun(run);
      const keys = [
        ...runs.map(({ runId }) => ({ userId: 'u', runId })),
        { userId: 'u', runId: 'none' },
      ];
      expect(await store.getRuns(keys)).toEqual([...runs, null]);
      // A stray document under another _id with a matching runId is not read.
      await db
        .collection('runs')
        .insertOne({ ...runs[0], _id: 'stray', content: 'stray' } as never);
      expect((await store.getRuns([keys[0]!]))[0]?.content).toBe(runs[0]?.content);
    });

    it('reads runs in flight by id when few, with one $in when many, and ended ones by id', async () => {
      const { store } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      const going = Array.from({ length: 70 }, (_, i) =>
        runFixture(session, { runId: `g${i}`, status: 'running' }),
      );
      const ended = [runFixture(session, { runId: 'e1' }), runFixture(session, { runId: 'e2' })];
      for (const run of [...going, ...ended]) await store.appendRun(run);
      const keyOf = ({ runId }: { runId: string }) => ({ userId: 'u', runId });
      const missing = [
        { userId: 'u', runId: 'none' },
        { userId: 'v', runId: 'g1' },
      ];
      for (const runs of [going.slice(0, 3), going]) {
        const keys = [...runs, ...ended].map(keyOf);
        expect(await store.getRuns([...keys, ...missing])).toEqual([...runs, ...ended, null, null]);
      }
    });

    it('counts a run found in both collections once, as a move cut short leaves it', async () => {
      const { store, db } = await storeAndDb();
      const session = await store.createSession(sessionFixture('u'));
      const run = runFixture(session, { runId: 'r1', status: 'running' });
      await store.appendRun(run);
      const ended = { ...run, _id: '1:u:r1', status: 'completed', updatedAt: run.updatedAt + 1 };
      await db.collection('runs').insertOne(ended as never);
      const listed = await store.listRuns({ userId: 'u', sessionId: session.sessionId });
      expect(listed.map((r) => [r.runId, r.status])).toEqual([['r1', 'completed']]);
      // Ending it again finishes the move.
      await store.updateRun({ userId: 'u', runId: 'r1' }, { status: 'completed' });
      expect(await idsIn(db, 'active_runs')).toEqual([]);
      expect(await idsIn(db, 'runs')).toEqual(['1:u:r1']);
    });

    it('moves a database from one runs collection, keeping every run and its id', async () => {
      const dbName = `agentrpc_test_${randomUUID().slice(0, 8)}`;
      const client = new MongoClient(url);
      clients.push(client);
      const db = client.db(dbName);
      const session = sessionFixture('u', { sessionId: 's1' });
      const running = runFixture(session, { runId: 'r1', status: 'running', createdAt: 1 });
      const done = runFixture(session, { runId: 'r2', createdAt: 2 });
      await db.collection('meta').insertOne({ _id: 'ids-per-user-printable', at: 1 } as never);
      await db.collection('sessions').insertOne({ ...session, _id: '1:u:s1', _v: 0 } as never);
      for (const run of [running, done]) {
        await db.collection('runs').insertOne({ ...run, _id: `1:u:${run.runId}` } as never);
      }
      const store = new MongoStore({ url, dbName });
      stores.push(store);
      expect(await store.listUnfinishedRuns()).toEqual([running]);
      expect(await idsIn(db, 'active_runs')).toEqual(['1:u:r1']);
      expect(await idsIn(db, 'runs')).toEqual(['1:u:r2']);
      await expect(store.appendRun(done)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(
        await store.listRuns({ userId: 'u', sessionId: 's1', status: 'completed', limit: 3 }),
      ).toEqual([done]);
      expect(await store.deleteSession({ userId: 'u', sessionId: 's1' })).toBe(true);
      expect(await idsIn(db, 'run_ids')).toEqual([]);
    });
  });

  describe('MongoStore database', () => {
    it('moves a database from before ids were per user, keeping its sessions, runs and events', async () => {
      const dbName = `agentrpc_test_${randomUUID().slice(0, 8)}`;
      const client = new MongoClient(url);
      const db = client.db(dbName);
      const session = sessionFixture('u', { sessionId: 'kept' });
      const run = runFixture(session, { runId: 'r1' });
      const event = contentEvent('r1', 1, 'x');
      await db.collection('sessions').insertOne({ ...session, _id: 'kept', _v: 0 } as never);
      await db.collection('runs').insertOne({ ...run, _id: 'r1' } as never);
      await db.collection('events').createIndex({ runId: 1, seq: 1 }, { unique: true });
      await db
        .collection('events')
        .insertOne({ _id: 'r1:1', runId: 'r1', seq: 1, userId: 'u', event } as never);
      const store = new MongoStore({ url, dbName });
      stores.push(store);
      expect(await store.getSession({ userId: 'u', sessionId: 'kept' })).toEqual(session);
      expect(await store.getRun({ userId: 'u', runId: 'r1' })).toEqual(run);
      expect(await store.readEvents({ userId: 'u', runId: 'r1' })).toEqual([event]);
      // And now another user may hold the same ids.
      const other = await store.createSession(sessionFixture('v', { sessionId: 'kept' }));
      await store.appendRun(runFixture(other, { runId: 'r1' }));
      await store.appendEvents({ userId: 'v', runId: 'r1' }, [contentEvent('r1', 1, 'y')]);
      expect(await store.readEvents({ userId: 'u', runId: 'r1' })).toEqual([event]);
      await client.close();
    });

    /**
     * A store with one connection for everything but the event log's live path,
     * so that its operations queue one behind another, and a running run r1 whose
     * event connection is open.
     */
    const oneMainConnection = async () => {
      const oneConnection = new URL(url);
      oneConnection.searchParams.set('maxPoolSize', '1');
      const store = new MongoStore({ url: oneConnection.href, dbName: newDbName() });
      stores.push(store);
      const session = await store.createSession(sessionFixture('u'));
      const run = runFixture(session, { runId: 'r1', status: 'running' });
      await store.appendRun(run);
      await store.readEvents({ userId: 'u', runId: 'r1' });
      return { store, run };
    };

    /**
     * How many of 200 reads queued on the main connection were done by the time
     * `work` was. Reads, not writes: FerretDB on SQLite takes writes one at a
     * time whatever the connection, and a write that had to wait for the lock
     * could see all 200 queued writes go by, on a pool of its own too.
     */
    const readsDoneDuring = async (store: MongoStore, work: () => Promise<unknown>) => {
      let done = 0;
      const queued = Array.from({ length: 200 }, () =>
        store.listSessions({ userId: 'u' }).then(() => done++),
      );
      await work();
      const doneByThen = done;
      await Promise.all(queued);
      return doneByThen;
    };

    it('appends events on connections of their own, not behind other operations', async () => {
      const { store } = await oneMainConnection();
      const done = await readsDoneDuring(store, () =>
        store.appendEvents({ userId: 'u', runId: 'r1' }, [contentEvent('r1', 1)]),
      );
      // On one shared pool, which serves in order, the append would have waited for all 200.
      expect(done).toBeLessThan(200);
    });

    it("reads a run's record for a follower on the event connections, not behind other operations", async () => {
      const { store, run } = await oneMainConnection();
      let record: unknown;
      const done = await readsDoneDuring(store, async () => {
        record = await store.getRun({ userId: 'u', runId: 'r1' }, { following: true });
      });
      expect(record).toEqual(run);
      expect(done).toBeLessThan(200); // through the shared connection, all 200 first
      // Another user's run stays out of reach on that path too.
      expect(await store.getRun({ userId: 'v', runId: 'r1' }, { following: true })).toBeNull();
    });

    it('lets several instances open a new database at once', async () => {
      const dbName = `agentrpc_test_${randomUUID().slice(0, 8)}`;
      const opening = Array.from({ length: 4 }, () => {
        const store = new MongoStore({ url, dbName });
        stores.push(store);
        return store.connect();
      });
      await expect(Promise.all(opening)).resolves.toHaveLength(4);
    });

    it('moves ids of the first per-user form (user, NUL, id) to the printable one', async (ctx) => {
      const dbName = `agentrpc_test_${randomUUID().slice(0, 8)}`;
      const client = new MongoClient(url);
      const db = client.db(dbName);
      const session = sessionFixture('u', { sessionId: 's1' });
      const run = runFixture(session, { runId: 'r1' });
      const event = contentEvent('r1', 1, 'x');
      await db.collection('meta').insertOne({ _id: 'ids-per-user', at: 1 } as never);
      const refused = await db
        .collection('sessions')
        .insertOne({ ...session, _id: 'u\u0000s1', _v: 0 } as never)
        .then(
          () => undefined,
          (error: Error) => error.message,
        );
      if (refused?.includes('Unicode escape')) {
        await client.close();
        // A server on PostgreSQL never held the old form: it cannot store NUL.
        ctx.skip(`this server refuses NUL in strings: ${refused}`);
      }
      await db.collection('runs').insertOne({ ...run, _id: 'u\u0000r1' } as never);
      await db
        .collection('events')
        .insertOne({ _id: 'u\u0000r1:1', runId: 'r1', seq: 1, userId: 'u', event } as never);
      const store = new MongoStore({ url, dbName });
      stores.push(store);
      expect(await store.getSession({ userId: 'u', sessionId: 's1' })).toEqual(session);
      expect(await store.getRun({ userId: 'u', runId: 'r1' })).toEqual(run);
      expect(await store.readEvents({ userId: 'u', runId: 'r1' })).toEqual([event]);
      const ids = await db
        .collection('runs')
        .find({})
        .map((d) => d._id)
        .toArray();
      expect(ids).toEqual(['1:u:r1']);
      await client.close();
    });
  });
}
