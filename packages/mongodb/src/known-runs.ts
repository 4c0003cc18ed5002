// The runs a MongoStore knows to exist, so that appending events does not ask
// the server about every run in every batch. An append must not write events
// for a run that is not its user's (or was deleted), and the check was one
// find with `$in` per batch: on a server that cannot use an index for `$in`
// (FerretDB 1.x), a read of every run document there is into its own process,
// which at a few hundred runs in flight was most of that server's CPU.
// A run this store created, or has checked lately, is known for a few
// seconds; after that it is checked again, by _id, the one read every
// MongoDB-wire server serves without a scan in its own process.
import type { RunKey } from '@agentrpc/core';
import type { Collections } from './collections.ts';
import { docId } from './doc-ids.ts';
import { fewAtATime } from './few-at-a-time.ts';

/** How long a run stays known once seen: a run deleted on another instance takes events this long at most. */
const knownForMs = 5_000;

export class KnownRuns {
  /** When each run (by document id) was last seen to exist. */
  readonly #seenAt = new Map<string, number>();

  /** A run that exists as of now (this store just wrote it). */
  add(id: string): void {
    this.#seenAt.delete(id); // re-inserted as the newest
    this.#seenAt.set(id, Date.now());
  }

  /** Runs that were deleted. */
  forget(keys: RunKey[]): void {
    for (const key of keys) this.#seenAt.delete(docId(key.userId, key.runId));
  }

  /** Which of these run document ids exist: known ones without a read, the rest by _id. */
  async existing(c: Collections, ids: string[]): Promise<Set<string>> {
    this.#expire();
    const found = new Set(ids.filter((id) => this.#seenAt.has(id)));
    const unknown = ids.filter((id) => !found.has(id));
    for (const doc of await fewAtATime(unknown, (_id) => c.runIds.findOne({ _id }))) {
      if (!doc) continue;
      found.add(doc._id);
      this.add(doc._id);
    }
    return found;
  }

  #expire() {
    const before = Date.now() - knownForMs;
    for (const [id, seenAt] of this.#seenAt) {
      if (seenAt >= before) break; // the rest were seen later
      this.#seenAt.delete(id);
    }
  }
}
