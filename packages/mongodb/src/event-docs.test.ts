import { contentEvent, runFixture, sessionFixture } from '@agentrpc/core/testing';
import { describe, expect, it } from 'vitest';
import { mongoUrlOrSkip, testDatabases } from './test-support/test-database.ts';

const url = mongoUrlOrSkip('MongoStore event documents');
if (url) {
  const { newDbName, storeOn, dbNamed } = testDatabases(url);
  const key = { userId: 'u', runId: 'r1' };
  const events = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => contentEvent('r1', from + i, `t${from + i}`));
  const seqs = (list: { seq: number }[]) => list.map((e) => e.seq);
  const range = (from: number, to: number) => seqs(events(from, to));

  /** A store with one running run, and its database read directly. */
  const runningRun = async () => {
    const dbName = newDbName();
    const store = await storeOn(dbName);
    const session = await store.createSession(sessionFixture('u'));
    await store.appendRun(runFixture(session, { runId: 'r1', status: 'running' }));
    return { store, db: dbNamed(dbName) };
  };

  describe('MongoStore event documents', () => {
    it('writes one document per run per append, and reads its events in pages of any size', async () => {
      const { store, db } = await runningRun();
      for (let from = 1; from <= 46; from += 5)
        await store.appendEvents(key, events(from, from + 4));
      expect(await db.collection('events').countDocuments({})).toBe(10);
      expect(seqs(await store.readEvents(key))).toEqual(range(1, 50));
      expect(seqs(await store.readEvents({ ...key, afterSeq: 3, limit: 7 }))).toEqual(range(4, 10));
      expect(seqs(await store.readEvents({ ...key, afterSeq: 12, limit: 31 }))).toEqual(
        range(13, 43),
      );
      expect(await store.readEvents({ ...key, afterSeq: 50 })).toEqual([]);
    });

    it('stores what a retried append brings beyond what its first try stored, once', async () => {
      const { store } = await runningRun();
      const all = events(1, 8);
      await store.appendEvents(key, all.slice(0, 3));
      // The first try of 4..6 was stored but reported failed; the retry carries 7 and 8 too.
      await store.appendEvents(key, all.slice(3, 6));
      await store.appendEvents(key, all.slice(3));
      await store.appendEvents(key, all.slice(3));
      expect(await store.readEvents(key)).toEqual(all);
    });

    it('reads one event per document, as earlier versions wrote them, with the new ones', async () => {
      const { store, db } = await runningRun();
      const all = events(1, 9);
      const legacy = all.slice(0, 3).map((event) => ({
        _id: `1:u:r1:${event.seq}`,
        runId: 'r1',
        userId: 'u',
        seq: event.seq,
        event,
      }));
      await db.collection('events').insertMany(legacy as never[]);
      await store.appendEvents(key, all.slice(3));
      expect(await store.readEvents(key)).toEqual(all);
      expect(seqs(await store.readEvents({ ...key, afterSeq: 1, limit: 4 }))).toEqual(range(2, 5));
    });

    it("stores deltas without the run's id, and reads documents written with it the same", async () => {
      const { store, db } = await runningRun();
      const all = events(1, 6);
      await db.collection('events').insertOne({
        _id: '1:u:r1:1',
        runId: 'r1',
        userId: 'u',
        seq: 3,
        events: JSON.stringify(all.slice(0, 3)),
      } as never);
      await store.appendEvents(key, all.slice(3));
      const texts = await db
        .collection('events')
        .find({}, { sort: { seq: 1 } })
        .toArray();
      expect(texts.map((doc) => String(doc.events).includes('"runId"'))).toEqual([true, false]);
      expect(await store.readEvents(key)).toEqual(all);
    });

    it('splits an append too large for one document', async () => {
      const { store, db } = await runningRun();
      const big = events(1, 6).map((event) => ({ ...event, delta: 'x'.repeat(1024 * 1024) }));
      await store.appendEvents(key, big);
      expect(await db.collection('events').countDocuments({})).toBeGreaterThan(1);
      expect(await store.readEvents(key)).toEqual(big);
    });
  });
}
