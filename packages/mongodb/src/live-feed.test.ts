import type { RunEvent } from '@agentrpc/core';
import { contentEvent, runFixture, sessionFixture } from '@agentrpc/core/testing';
import { type Db, MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { collections } from './collections.ts';
import { LiveFeed } from './live-feed.ts';
import type { MongoStore } from './mongo-store.ts';
import { mongoUrlOrSkip, testDatabases } from './test-support/test-database.ts';

const url = mongoUrlOrSkip('MongoStore live feed');
if (url) {
  const { newDbName, storeOn, dbNamed } = testDatabases(url);

  /** Two stores on one database (two instances), and the database read directly. */
  const twoInstances = async () => {
    const dbName = newDbName();
    return { a: await storeOn(dbName), b: await storeOn(dbName), db: dbNamed(dbName) };
  };
  /** A running run of user u, in a new session. */
  const runningRun = async (store: MongoStore) => {
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'running', content: '' });
    await store.appendRun(run);
    return { userId: 'u', runId: run.runId };
  };
  const seqsOf = (events: RunEvent[]) => events.map((event) => event.seq);
  /** Removes the run's event documents: what is read after comes from the feed alone. */
  const dropEventDocs = (db: Db, runId: string) => db.collection('events').deleteMany({ runId });

  describe('MongoStore live feed', () => {
    it("serves another instance's new events from its pages, not the events collection", async () => {
      const { a, b, db } = await twoInstances();
      const key = await runningRun(a);
      expect(await b.readEvents(key)).toEqual([]);
      const events = [contentEvent(key.runId, 1), contentEvent(key.runId, 2)];
      await a.appendEvents(key, events);
      await dropEventDocs(db, key.runId);
      expect(await b.readEvents(key)).toEqual(events);
      await a.appendEvents(key, [contentEvent(key.runId, 3)]);
      expect(seqsOf(await b.readEvents({ ...key, afterSeq: 2 }))).toEqual([3]);
      expect(seqsOf(await b.readEvents({ ...key, afterSeq: 1, limit: 1 }))).toEqual([2]);
      // Several runs in one call, as the poller asks.
      const other = await runningRun(a);
      await a.appendEvents(other, [contentEvent(other.runId, 1)]);
      await dropEventDocs(db, other.runId);
      const batches = await b.readEventBatches([{ ...key, afterSeq: 3 }, other]);
      expect(batches.map(seqsOf)).toEqual([[], [1]]);
    });

    it('serves its own runs from the feed too, once it reads', async () => {
      const { a, db } = await twoInstances();
      await a.readEvents({ userId: 'u', runId: 'none' });
      const key = await runningRun(a);
      await a.appendEvents(key, [contentEvent(key.runId, 1)]);
      await dropEventDocs(db, key.runId);
      expect(seqsOf(await a.readEvents(key))).toEqual([1]);
    });

    it('answers a run begun after it read every page from the feed alone', async () => {
      const { a, b, db } = await twoInstances();
      await b.readEvents({ userId: 'u', runId: 'none' });
      const key = await runningRun(a);
      // Not in the feed: an event written some other way is not looked for.
      await db.collection('events').insertOne({
        _id: `1:u:${key.runId}:1`,
        runId: key.runId,
        seq: 1,
        userId: 'u',
        event: contentEvent(key.runId, 1),
      } as never);
      expect(await b.readEvents(key)).toEqual([]);
      // A run that has just ended has its last events on their way in the feed: its
      // record says it ended before they are written.
      await a.updateRun(key, { status: 'completed' });
      expect(await b.readEvents(key)).toEqual([]);
      // One that ended a while ago may have had its entry dropped: the events collection knows.
      await db
        .collection('runs')
        .updateOne({ runId: key.runId }, { $set: { updatedAt: Date.now() - 60_000 } });
      expect(seqsOf(await b.readEvents(key))).toEqual([1]);
    });

    it('reads the events collection for what was on pages it missed', async () => {
      const { a, b, db } = await twoInstances();
      const key = await runningRun(a);
      await a.appendEvents(key, [contentEvent(key.runId, 1)]);
      expect(seqsOf(await b.readEvents(key))).toEqual([1]);
      await a.appendEvents(key, [contentEvent(key.runId, 2)]);
      // Its page is lost (as a page that failed, or was dropped before b read it).
      const pages = db.collection<{ _id: string; at: number }>('event_feed');
      const newest = await pages.find({}).sort({ at: -1 }).limit(1).toArray();
      await pages.deleteOne({ _id: newest[0]?._id as string });
      await a.appendEvents(key, [contentEvent(key.runId, 3)]);
      expect(seqsOf(await b.readEvents({ ...key, afterSeq: 1 }))).toEqual([2, 3]);
    });

    it("forgets a deleted session's runs on the other instances", async () => {
      const { a, b } = await twoInstances();
      const key = await runningRun(a);
      const run = await a.getRun(key);
      await a.appendEvents(key, [contentEvent(key.runId, 1)]);
      expect(seqsOf(await b.readEvents(key))).toEqual([1]);
      await a.deleteSession({ userId: 'u', sessionId: run?.sessionId as string });
      expect(await b.readEvents(key)).toEqual([]);
    });

    it('keeps pages until every instance reading the feed has read them', async () => {
      const { a, b, db } = await twoInstances();
      const pages = () =>
        db
          .collection('event_feed')
          .find({})
          .map((page) => String(page._id).split(':')[1])
          .toArray();
      await b.readEvents({ userId: 'u', runId: 'none' }); // b reads the feed from now on
      const key = await runningRun(a);
      await a.appendEvents(key, [contentEvent(key.runId, 1)]);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await a.appendEvents(key, [contentEvent(key.runId, 2)]);
      expect(await pages()).toEqual(['1', '2']); // b has read neither
      expect(seqsOf(await b.readEvents(key))).toEqual([1, 2]);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await a.appendEvents(key, [contentEvent(key.runId, 3)]);
      expect(await pages()).toEqual(['3']);
    }, 10_000);

    it('tells how far it has read beside its reads, and a failure to tell fails the next read', async () => {
      const dbName = newDbName();
      const working = collections(dbNamed(dbName), '');
      // The readers' collection through a client that is closed: telling fails.
      const closed = new MongoClient(url);
      await closed.close();
      const failing = { ...working, feedReaders: collections(closed.db(dbName), '').feedReaders };
      const feed = new LiveFeed();
      const query = { userId: 'u', runId: 'none' };
      expect(await feed.read(failing, [query])).toEqual([undefined]);
      await expect(feed.read(failing, [query])).rejects.toThrow();
      // Told again at the next read that can.
      await feed.read(working, [query]);
      await expect.poll(() => working.feedReaders.countDocuments()).toBe(1);
    });

    it('removes its pages when it closes', async () => {
      const { a, b, db } = await twoInstances();
      const key = await runningRun(a);
      await a.appendEvents(key, [contentEvent(key.runId, 1)]);
      await b.readEvents(key);
      expect(await db.collection('event_feed').countDocuments()).toBe(1);
      await a.close();
      expect(await db.collection('event_feed').countDocuments()).toBe(0);
      expect(await db.collection('event_feed_writers').countDocuments()).toBe(0);
    });
  });
}
