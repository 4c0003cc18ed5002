// The live feed's pages: besides its event documents, every append writes one
// page holding the same events as a single JSON string, numbered per writer
// (one writer per MongoStore). Another instance following those runs reads the
// few new pages by _id instead of querying the events collection. A page is
// kept until every store reading the feed has read it (and at least 1.5 s, for
// one that starts reading), at most 30 s: a small collection is what keeps
// those reads cheap where the server scans for every read (FerretDB 1.x), and
// a reader that is slow under load must not miss pages, or it has to query
// the events collection, which is the load it was spared.
import { randomUUID } from 'node:crypto';
import type { EventBatch, RunEvent, RunKey } from '@agentrpc/core';
import { storedEventText, withRunId } from '@agentrpc/core/internal';
import { type Collections, wholeBatch } from './collections.ts';
import { eventsJson } from './events-json.ts';
import { settleAll } from './settle-all.ts';

/** How long a page is kept after it is written, read or not. */
const pageKeepMs = 1500;
/** How often an append also drops the pages every reader has read. */
const tidyMs = 500;
/** Longest a page is kept for a reader that has not read it. */
const maxKeepMs = 30_000;
/** A reader that has not read for this long is not waited for. */
const readerLiveMs = 10_000;
/** Pages and writers left by stores that stopped without retiring are removed after this long. */
const abandonedMs = 60_000;
/** A page's text stays under this many characters (a document holds 16 MiB). */
const pageChars = 4 * 1024 * 1024;

/** One run's events in a page; null for a run that was deleted. */
export interface PageRun {
  userId: string;
  runId: string;
  events: RunEvent[] | null;
}

export function pageId(writer: string, page: number): string {
  return `${writer}:${page}`;
}

/**
 * The batches as page texts: each a JSON array of [userId, runId, events]
 * entries, split so that none outgrows the page size (a run whose events are
 * larger is spread over several pages, in order).
 */
export function pageTexts(batches: EventBatch[]): string[] {
  const texts: string[] = [];
  let entries: string[] = [];
  let chars = 0;
  const add = (entry: string) => {
    if (chars + entry.length > pageChars && entries.length > 0) {
      texts.push(`[${entries.join(',')}]`);
      entries = [];
      chars = 0;
    }
    entries.push(entry);
    chars += entry.length + 1;
  };
  for (const { key, events } of batches) {
    if (events.length === 0) continue;
    const head = JSON.stringify([key.userId, key.runId]).slice(0, -1);
    const all = eventsJson(events);
    if (all.length <= pageChars) {
      add(`${head},${all}]`);
      continue;
    }
    for (const event of events) add(`${head},[${storedEventText(event)}]]`);
  }
  if (entries.length > 0) texts.push(`[${entries.join(',')}]`);
  return texts;
}

/** A page telling readers that these runs were deleted, with their events. */
export function deletionText(keys: RunKey[]): string {
  return JSON.stringify(keys.map(({ userId, runId }) => [userId, runId, null]));
}

export function parsePage(text: string): PageRun[] {
  const entries = JSON.parse(text) as [string, string, RunEvent[] | null][];
  return entries.map(([userId, runId, events]) => ({
    userId,
    runId,
    events: events === null ? null : events.map((event) => withRunId(event, runId)),
  }));
}

/**
 * Writes one store's pages, one after another in page order. A writer's
 * document says its newest page and the oldest it still keeps, so a reader
 * knows what to read and whether it missed any.
 */
export class FeedWriter {
  readonly id = randomUUID();
  #page = 0;
  /** Pages still kept, oldest first. */
  #kept: { page: number; at: number }[] = [];
  #writing: Promise<unknown> = Promise.resolve();
  #sweptAt = Date.now();
  #tidiedAt = 0;

  /**
   * Writes the texts as the next pages while `stored` settles (the events
   * they hold going to the events collection), then names them in the
   * writer's document, once both are done. Fails when the store does (the
   * append is then retried).
   */
  publish(c: Collections, texts: string[], stored?: Promise<void>): Promise<void> {
    // Its failure is reported by the write below; while that waits its turn
    // behind the last publish, this only marks it as handled.
    stored?.catch(() => undefined);
    const write = () => this.#write(c, texts, stored);
    const next = this.#writing.then(write, write);
    this.#writing = next;
    return next;
  }

  async #write(c: Collections, texts: string[], stored?: Promise<void>): Promise<void> {
    // Dropping read pages waits for a pass every tidyMs: an append that has
    // to wait on the database for that too is late to every follower.
    const tidying = Date.now() - this.#tidiedAt >= tidyMs;
    if (tidying) this.#tidiedAt = Date.now();
    const readByAll = tidying ? this.#readByAll(c) : undefined;
    await settleAll([stored, this.#insertPages(c, texts), readByAll]);
    const dropped = readByAll ? this.#expired(await readByAll) : [];
    await c.feedWriters.updateOne(
      { _id: this.id },
      { $set: { page: this.#page, oldest: this.#kept[0]?.page ?? this.#page, at: Date.now() } },
      { upsert: true },
    );
    // By _id, one at a time: the one delete every MongoDB-wire server does without a scan in code.
    for (const { page } of dropped) await c.feedPages.deleteOne({ _id: pageId(this.id, page) });
    if (Date.now() - this.#sweptAt > abandonedMs / 2) {
      this.#sweptAt = Date.now();
      const before = Date.now() - abandonedMs;
      await c.feedPages.deleteMany({ at: { $lt: before } });
      await c.feedWriters.deleteMany({ at: { $lt: before } });
      await c.feedReaders.deleteMany({ at: { $lt: before } });
    }
  }

  async #insertPages(c: Collections, texts: string[]): Promise<void> {
    for (const events of texts) {
      // The number is taken before the write: a page that failed is a gap readers notice.
      const page = ++this.#page;
      const at = Date.now();
      await c.feedPages.insertOne({ _id: pageId(this.id, page), at, events });
      this.#kept.push({ page, at });
    }
  }

  /** Takes the pages that may go now out of those kept (given the newest every reader has read), and returns them. */
  #expired(readByAll: number): { page: number; at: number }[] {
    const now = Date.now();
    let expired = 0; // the newest page stays, for the page number it carries
    while (expired < this.#kept.length - 1) {
      const { page, at } = this.#kept[expired] as { page: number; at: number };
      if (at >= now - maxKeepMs && (page > readByAll || at >= now - pageKeepMs)) break;
      expired++;
    }
    return this.#kept.splice(0, expired);
  }

  /** The newest of this writer's pages that every store reading the feed has read. */
  async #readByAll(c: Collections): Promise<number> {
    const readers = await c.feedReaders
      .find({ at: { $gt: Date.now() - readerLiveMs } }, wholeBatch(10_000))
      .toArray();
    let page = Number.POSITIVE_INFINITY;
    for (const reader of readers) {
      if (reader._id !== this.id) page = Math.min(page, reader.read[this.id] ?? 0);
    }
    return page;
  }

  /** Removes this writer's pages and document (the store is closing). */
  async retire(c: Collections): Promise<void> {
    await this.#writing.catch(() => undefined);
    for (const { page } of this.#kept.splice(0))
      await c.feedPages.deleteOne({ _id: pageId(this.id, page) });
    await c.feedWriters.deleteOne({ _id: this.id });
    await c.feedReaders.deleteOne({ _id: this.id });
  }
}
