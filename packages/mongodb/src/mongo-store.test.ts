import { randomUUID } from 'node:crypto';
import {
  contentEvent,
  runFixture,
  sessionFixture,
  storeConformanceSuite,
} from '@agentrpc/core/testing';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoStore } from './mongo-store.ts';

// MONGODB_URL points at a MongoDB-wire server; .ci/run starts FerretDB and sets it.
const url = process.env.MONGODB_URL;
const stores: MongoStore[] = [];

if (!url) {
  if (process.env.CI === 'true')
    throw new Error('MONGODB_URL must be set in CI (.ci/run starts FerretDB)');
  // Said in the test report as a skipped test, never silently.
  describe('MongoStore', () => {
    it.skipIf(true)(
      'skipped: set MONGODB_URL (a MongoDB or FerretDB server) or install Go; `scripts/ferretdb.sh start 27017` starts one',
      () => {},
    );
  });
} else {
  const create = async () => {
    // A database per run of the suite, so runs never see each other's data.
    const store = new MongoStore({ url, dbName: `agentrpc_test_${randomUUID().slice(0, 8)}` });
    stores.push(store);
    await store.connect();
    return store;
  };
  storeConformanceSuite('MongoStore', {
    create,
    breakBackend: (store) => (store as MongoStore).close(),
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
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
