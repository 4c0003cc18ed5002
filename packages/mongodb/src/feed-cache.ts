// What a store has read from the live feed: each run's latest events, held
// while the run goes on and a little after it ends. A run's entry is one
// unbroken stretch of seqs; a read is answered from it only when the stretch
// reaches back to the reader's position. `coveredSince` says for which runs a
// missing entry means "no events yet": those created after it, since every
// page written after it has been read (see live-feed.ts).

import { type EventQuery, isTerminalEvent, type RunEvent } from '@agentrpc/core';
import { docId } from './doc-ids.ts';
import { eventReadLimit } from './event-docs.ts';
import type { PageRun } from './feed-pages.ts';

/** Events held at most, over all runs. */
const maxEvents = 200_000;
/** An ended run's entry is dropped this long after its last event. */
const endedKeepMs = 10_000;
/**
 * A run that ended less than this long ago (by its record, written before its
 * last events) still has its entry, if its events were read: half of
 * endedKeepMs, the other half for clocks of instances that disagree.
 */
export const recentlyEndedMs = endedKeepMs / 2;
/** A run that sends nothing for this long is dropped too. */
const idleKeepMs = 60_000;

interface Entry {
  events: RunEvent[];
  writer: string;
  touchedAt: number;
  ended: boolean;
}

/** An answer from the cache: the events, or why the store must be asked. */
export type CacheAnswer = RunEvent[] | 'no-entry' | 'not-covered';

export class FeedCache {
  /** By run document id; in the order last touched (oldest first). */
  #runs = new Map<string, Entry>();
  #events = 0;
  /** Runs created after this time have every event written since in their entry (or none yet). */
  coveredSince = Number.NEGATIVE_INFINITY;

  /** Takes in a page's runs, written by `writer`. */
  absorb(writer: string, runs: PageRun[]): void {
    const now = Date.now();
    for (const { userId, runId, events } of runs) {
      const id = docId(userId, runId);
      const entry = this.#runs.get(id);
      if (entry) this.#drop(id, entry); // re-inserted below, as the newest
      if (!events) continue; // the run was deleted
      const kept: Entry = entry ?? { events: [], writer, touchedAt: now, ended: false };
      this.#events += kept.events.length;
      for (const event of events) {
        const last = kept.events.at(-1)?.seq;
        if (last !== undefined && event.seq <= last) continue; // a retried append, seen already
        if (last !== undefined && event.seq !== last + 1) {
          // A gap (a page missed): the stretch starts again here.
          this.#events -= kept.events.length;
          kept.events = [];
        }
        kept.events.push(event);
        this.#events++;
        if (isTerminalEvent(event) && event.type !== 'run.paused') kept.ended = true;
      }
      kept.writer = writer;
      kept.touchedAt = now;
      this.#runs.set(id, kept);
    }
    this.#evict(now);
  }

  answer(query: EventQuery): CacheAnswer {
    const entry = this.#runs.get(docId(query.userId, query.runId));
    const first = entry?.events[0]?.seq;
    if (!entry || first === undefined) return 'no-entry';
    const start = (query.afterSeq ?? 0) + 1 - first;
    if (start < 0) return 'not-covered';
    return entry.events.slice(start, start + eventReadLimit(query));
  }

  /**
   * Pages of `writer` were missed: its runs' entries may lack their latest
   * events, and runs created until now may have events in none.
   */
  missed(writer: string): void {
    for (const [id, entry] of this.#runs) {
      if (entry.writer === writer) this.#drop(id, entry);
    }
    this.uncovered();
  }

  /** From now on, only runs created later are known to have no events when they have no entry. */
  uncovered(): void {
    this.coveredSince = Date.now();
  }

  #evict(now: number) {
    for (const [id, entry] of this.#runs) {
      const overfull = this.#events > maxEvents;
      const expired = now - entry.touchedAt > (entry.ended ? endedKeepMs : idleKeepMs);
      if (!overfull && !expired) break; // the rest were touched later
      // An entry dropped before its time: a missing entry no longer means "nothing yet".
      if (overfull || !entry.ended) this.uncovered();
      this.#drop(id, entry);
    }
  }

  #drop(id: string, entry: Entry) {
    this.#runs.delete(id);
    this.#events -= entry.events.length;
  }
}
