// The live feed: how instances on one database get each other's new events
// without querying the events collection, which on a server that scans for
// every read (FerretDB 1.x) cost a scan of every event ever written, per poll.
// Every append also writes a page (feed-pages.ts); a store that reads events
// first reads the pages written since its last read, one by _id each, into
// its cache (feed-cache.ts), and answers from that. It asks the events
// collection only for what the cache cannot answer: a run it has no unbroken
// stretch of, from the reader's position, because the run began before this
// store read the feed, or pages were missed.
import type { EventBatch, EventQuery, RunEvent, RunKey } from '@agentrpc/core';
import { joinedRuns } from '@agentrpc/core/internal';
import { type Collections, wholeBatch } from './collections.ts';
import { FeedCache, recentlyEndedMs } from './feed-cache.ts';
import { deletionText, FeedWriter, pageId, pageTexts, parsePage } from './feed-pages.ts';
import { findRuns } from './run-docs.ts';

/** How often a reader tells the writers how far it has read (they keep its unread pages). */
const toldEveryMs = 250;

export class LiveFeed {
  readonly #writer = new FeedWriter();
  readonly #cache = new FeedCache();
  /** The last page read, by writer. */
  readonly #read = new Map<string, number>();
  /** Set by the first read: until then nothing is cached, not even this store's own pages. */
  #reading = false;
  /** When this store last told the writers how far it has read, that write while it goes, and its failure. */
  #toldAt = 0;
  #telling: Promise<void> | undefined;
  #tellFailure: unknown;
  /** The collections the next page read goes to (a store's are always the same). */
  #collections: Collections | undefined;
  /**
   * Reads the new pages. A read asked for while one is going joins the next:
   * it must see every page written before it was asked for.
   */
  readonly #refresh = joinedRuns(async () => {
    if (this.#collections) await this.#readNewPages(this.#collections);
  });

  /**
   * Writes the batches' page(s) while `stored` (the batches' events going to
   * the events collection) settles; readers are told of the pages only once
   * both are done, so no follower gets an event the store does not hold.
   */
  async publish(c: Collections, batches: EventBatch[], stored: Promise<void>): Promise<void> {
    const texts = pageTexts(batches);
    if (texts.length === 0) return stored;
    await this.#writer.publish(c, texts, stored);
    // This store's own runs, for a reader of this process that has no live copy of them.
    if (this.#reading)
      for (const text of texts) this.#cache.absorb(this.#writer.id, parsePage(text));
  }

  /**
   * Each query's events from the feed, or undefined where the events
   * collection must be asked.
   */
  async read(c: Collections, queries: EventQuery[]): Promise<(RunEvent[] | undefined)[]> {
    if (!this.#reading) {
      this.#reading = true;
      this.#cache.uncovered();
    }
    this.#collections = c;
    await this.#refresh();
    const answers = queries.map((query) => this.#cache.answer(query));
    const unknown = queries.filter((_, i) => answers[i] === 'no-entry');
    // A run with no entry, begun after the cache covered every page, has no events in
    // the pages read so far: while it goes, or ended so lately that its entry could not
    // have been dropped yet, its events are still on their way (a run's record says it
    // ended before its last events are written). For any other run the events
    // collection knows.
    const runs = unknown.length > 0 ? await findRuns(c, unknown) : [];
    const coveredSince = this.#cache.coveredSince;
    let next = 0;
    return answers.map((answer) => {
      if (Array.isArray(answer)) return answer;
      if (answer === 'not-covered') return undefined;
      const run = runs[next++];
      if (!run || run.createdAt <= coveredSince) return undefined;
      const going = run.status === 'pending' || run.status === 'running';
      return going || Date.now() - run.updatedAt < recentlyEndedMs ? [] : undefined;
    });
  }

  /** Forgets deleted runs here, and tells other stores through a page. */
  async forget(c: Collections, keys: RunKey[]): Promise<void> {
    if (keys.length === 0) return;
    const text = deletionText(keys);
    this.#cache.absorb(this.#writer.id, parsePage(text));
    await this.#writer.publish(c, [text]);
  }

  /** Removes this store's pages (it is closing). */
  async retire(c: Collections): Promise<void> {
    await this.#telling;
    await this.#writer.retire(c);
  }

  async #readNewPages(c: Collections): Promise<void> {
    await this.#telling;
    const failure = this.#tellFailure;
    this.#tellFailure = undefined;
    if (failure !== undefined) throw failure;
    const writers = await c.feedWriters.find({}, wholeBatch(10_000)).toArray();
    for (const { _id: writer, page, oldest } of writers) {
      if (writer === this.#writer.id) continue;
      const last = this.#read.get(writer) ?? 0;
      if (page <= last) continue;
      let from = last + 1;
      if (from < oldest) {
        this.#cache.missed(writer); // pages were dropped before this store read them
        from = oldest;
      }
      const ids = Array.from({ length: page - from + 1 }, (_, i) => pageId(writer, from + i));
      const docs = await Promise.all(ids.map((_id) => c.feedPages.findOne({ _id })));
      for (const doc of docs) {
        if (doc) this.#cache.absorb(writer, parsePage(doc.events));
        else this.#cache.missed(writer); // a page that failed, or was dropped meanwhile
      }
      this.#read.set(writer, page);
    }
    // Tells the writers how far this store has read, so they keep what it has
    // not; every toldEveryMs, as they look only that often (feed-pages.ts).
    // Beside the reads rather than before their answer: a failure shows at the next read.
    if (Date.now() - this.#toldAt < toldEveryMs) return;
    this.#toldAt = Date.now();
    const live = new Set(writers.map((w) => w._id));
    const read = Object.fromEntries([...this.#read].filter(([writer]) => live.has(writer)));
    this.#telling = c.feedReaders
      .updateOne({ _id: this.#writer.id }, { $set: { at: Date.now(), read } }, { upsert: true })
      .then(
        () => undefined,
        (error: unknown) => {
          this.#toldAt = 0; // tell again at the next read
          this.#tellFailure = error;
        },
      );
  }
}
