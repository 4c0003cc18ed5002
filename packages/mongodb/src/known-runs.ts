// The runs a MongoStore knows to exist, so that appending events does not ask
// the server about every run in every batch. An append must not write events
// for a run that is not its user's (or was deleted), and the check was one
// find with `$in` per batch: on a server that cannot use an index for `$in`
// (FerretDB 1.x), a read of every run document there is into its own process,
// which at a few hundred runs in flight was most of that server's CPU.
// A run this store created, or has checked, is known. After a few seconds it
// is looked at again, by _id (the one read every MongoDB-wire server serves
// without a scan in its own process), but beside the appends rather than
// before one: runs started together went stale together, and the append that
// found them so waited for hundreds of reads, seconds under load, and every
// stream's events with it.
import type { RunKey } from '@agentrpc/core';
import type { Collections } from './collections.ts';
import { docId } from './doc-ids.ts';
import { fewAtATime } from './few-at-a-time.ts';

/**
 * How long a run is known without another look: a run deleted on another
 * instance takes events this long, and one look after, at most.
 */
const freshForMs = 5_000;
/** A run that appended nothing for this long is forgotten, and looked at before its next append. */
const forgetAfterMs = 60_000;

export class KnownRuns {
  /** Where the looks beside the appends read: not the event pool the appends wait on. */
  readonly #lookAgainIn: () => Promise<Collections>;
  /** When each run (by document id) was last seen to exist, oldest first. */
  readonly #seenAt = new Map<string, number>();
  /** Runs to look at again; the look in flight, if any. */
  readonly #stale = new Set<string>();
  #looking: Promise<void> | undefined;

  constructor(lookAgainIn: () => Promise<Collections>) {
    this.#lookAgainIn = lookAgainIn;
  }

  /** A run that exists as of now (this store just wrote it). */
  add(id: string): void {
    this.#seenAt.delete(id); // re-inserted as the newest
    this.#seenAt.set(id, Date.now());
  }

  /** Runs that were deleted. */
  forget(keys: RunKey[]): void {
    for (const key of keys) this.#seenAt.delete(docId(key.userId, key.runId));
  }

  /**
   * Which of these run document ids exist: known ones without a read (those
   * known a while are looked at again beside), the rest by _id.
   */
  async existing(c: Collections, ids: string[]): Promise<Set<string>> {
    const now = Date.now();
    this.#expire(now - forgetAfterMs);
    const found = new Set<string>();
    const unknown: string[] = [];
    for (const id of ids) {
      const seenAt = this.#seenAt.get(id);
      if (seenAt === undefined) unknown.push(id);
      else found.add(id);
      if (seenAt !== undefined && seenAt < now - freshForMs) this.#stale.add(id);
    }
    if (this.#stale.size > 0) this.#looking ??= this.#lookAgain();
    for (const id of await this.#lookUp(c, unknown)) found.add(id);
    return found;
  }

  /** The ids that exist, by _id; each is known from now. */
  async #lookUp(c: Collections, ids: string[]): Promise<string[]> {
    const docs = await fewAtATime(ids, (_id) => c.runIds.findOne({ _id }));
    const found: string[] = [];
    for (const doc of docs) {
      if (!doc) continue;
      found.push(doc._id);
      this.add(doc._id);
    }
    return found;
  }

  /** Looks at the stale runs again: those gone are forgotten, so their next append is refused. */
  async #lookAgain(): Promise<void> {
    const ids = [...this.#stale];
    this.#stale.clear();
    try {
      const found = new Set(await this.#lookUp(await this.#lookAgainIn(), ids));
      for (const id of ids) {
        if (!found.has(id)) this.#seenAt.delete(id);
        this.#stale.delete(id); // marked again by appends during the look: answered now
      }
    } catch {
      // The store failed the look: the appends fail with it and say so. The
      // runs stay known, and are looked at again with the next append.
      for (const id of ids) this.#stale.add(id);
    } finally {
      this.#looking = undefined;
    }
  }

  #expire(before: number) {
    for (const [id, seenAt] of this.#seenAt) {
      if (seenAt >= before) break; // the rest were seen later
      this.#seenAt.delete(id);
    }
  }
}
