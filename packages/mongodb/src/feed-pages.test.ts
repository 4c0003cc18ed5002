import { contentEvent } from '@agentrpc/core/testing';
import { describe, expect, it } from 'vitest';
import { collections } from './collections.ts';
import { FeedWriter, pageTexts, parsePage } from './feed-pages.ts';
import { mongoUrlOrSkip, testDatabases } from './test-support/test-database.ts';

describe('feed pages', () => {
  it("carry a run's deltas without its id and give them back whole, across pages", () => {
    const key = { userId: 'u', runId: 'run-id-that-is-long' };
    const delta = (seq: number, size: number) => contentEvent(key.runId, seq, 'x'.repeat(size));
    // Past a page's 4 MiB, a run's events are spread over pages of their own.
    const events = [delta(1, 10), delta(2, 3 * 1024 * 1024), delta(3, 3 * 1024 * 1024)];
    const texts = pageTexts([{ key, events }]);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.every((text) => !text.includes('"runId"'))).toBe(true);
    const read = texts.flatMap((text) => parsePage(text).flatMap((run) => run.events ?? []));
    expect(read).toEqual(events);
  });
});

const url = mongoUrlOrSkip('MongoStore feed pages');
if (url) {
  const { newDbName, dbNamed } = testDatabases(url);

  describe('FeedWriter', () => {
    it('names its pages only once the events they hold are stored, and not when they failed', async () => {
      const c = collections(dbNamed(newDbName()), '');
      const writer = new FeedWriter();
      const named = async () => (await c.feedWriters.findOne({ _id: writer.id }))?.page;
      let stored = () => {};
      const publishing = writer.publish(
        c,
        ['[]'],
        new Promise<void>((resolve) => {
          stored = resolve;
        }),
      );
      // The page is written while the events are; readers are not told of it yet.
      await expect.poll(() => c.feedPages.countDocuments()).toBe(1);
      expect(await named()).toBeUndefined();
      stored();
      await publishing;
      expect(await named()).toBe(1);
      // Events that could not be stored fail the publish, and their page stays unnamed.
      const failed = writer.publish(c, ['[]'], Promise.reject(new Error('insert failed')));
      await expect(failed).rejects.toThrow('insert failed');
      expect(await named()).toBe(1);
      await writer.publish(c, ['[]']);
      expect(await named()).toBe(3);
    });
  });
}
