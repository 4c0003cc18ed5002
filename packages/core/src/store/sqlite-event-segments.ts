// Writes the event log's rows (sqlite-event-rows.ts), the same way on the
// caller's thread and on the worker (sqlite-event-worker.ts). A run writes its
// rows to one segment for a couple of seconds, then opens the next; segments
// are numbered in the order they open, so the index by (segment, seq) takes
// each write's entries near its end. Indexed by (run, seq), every write of
// many streaming runs put an entry into each run's part of the index, a page
// per run once runs had streamed for a while, and the write-ahead log took all
// of those pages at every commit (migration 9, docs/performance-notes.md).
//
// Every run must be its user's, else nothing is written; appends are
// idempotent by (run, seq): an event the log holds is not written again.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import { boundInteger, boundText } from './sqlite-connection.ts';
import type { EventRow, EventRows } from './sqlite-event-rows.ts';

/**
 * How long a run writes to one segment. Longer, and each run's part of the
 * index's end grows (more pages a commit); shorter, and a run has more
 * segments to open and to read through.
 */
export const segmentMs = 2000;

/** Writes after which a run this connection knows, and has not written since, is forgotten. */
const forgetAfterWrites = 64;

/** A run's segment: its newest, as a write found it or opened it. */
interface Segment {
  num: number;
  seg: number;
  firstSeq: number;
  openedAt: number;
}

/** A run this connection wrote to lately, and the write that did. */
interface KnownRun extends Segment {
  writtenAt: number;
}

/** A run as a write finds it in the database: its number, and its newest segment if any. */
type FoundRun = { num: number } & (
  | { seg: number; firstSeq: number; openedAt: number }
  | { seg: null; firstSeq: null; openedAt: null }
);

/** What a connection keeps for writing the log: its statements and the runs it wrote lately. */
interface Writer {
  statements: ReturnType<typeof compile>;
  known: Map<string, KnownRun>;
  writes: number;
}

const writers = new WeakMap<DatabaseSync, Writer>();

function compile(db: DatabaseSync) {
  return {
    // The run's number (only if it is the user's) and its newest segment, if any.
    findRun: db.prepare(
      `SELECT runs.num AS num, s.seg AS seg, s.first_seq AS firstSeq, s.opened_at AS openedAt
       FROM runs LEFT JOIN event_segments s
         ON s.seg = (SELECT max(seg) FROM event_segments WHERE run_num = runs.num)
       WHERE runs.run_id = ${boundText} AND runs.user_id = ${boundText}`,
    ),
    openSegment: db.prepare(
      'INSERT INTO event_segments (run_num, first_seq, opened_at) VALUES (?, ?, ?)',
    ),
    insert: db.prepare(
      'INSERT INTO events (seg, seq, last_seq, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    // A known run's segment, written only while it is still the run's newest:
    // one that another connection replaced, or that went with its run, is not.
    // The run's number is cast (boundInteger, sqlite-connection.ts).
    insertIfNewest: db.prepare(
      `INSERT INTO events (seg, seq, last_seq, data)
       SELECT ?1, ?2, ?3, ?4
       WHERE (SELECT max(seg) FROM event_segments WHERE run_num = CAST(?5 AS INTEGER)) = ?1
       ON CONFLICT DO NOTHING`,
    ),
    lastRow: db.prepare(
      `SELECT seq, last_seq FROM events WHERE seg = ${boundInteger} ORDER BY seq DESC LIMIT 1`,
    ),
  };
}

function writerOf(db: DatabaseSync): Writer {
  let writer = writers.get(db);
  if (!writer) {
    writer = { statements: compile(db), known: new Map(), writes: 0 };
    writers.set(db, writer);
  }
  return writer;
}

/** A row's columns for `events` (not empty): its first seq, its last if it holds several, and its text. */
export function rowOf(
  events: EventRows['events'],
): [seq: number, lastSeq: number | null, data: string] {
  const [first] = events as [[number, string]];
  if (events.length === 1) return [first[0], null, first[1]];
  const last = events.at(-1) as [number, string];
  return [first[0], last[0], `[${events.map(([, text]) => text).join(',')}]`];
}

/** The events after the last one segment `seg` holds. */
function afterStored(
  lastRow: StatementSync,
  seg: number,
  events: EventRows['events'],
): EventRows['events'] {
  const last = lastRow.get(seg) as Omit<EventRow, 'data'> | undefined;
  if (!last) return events;
  const stored = last.last_seq ?? last.seq;
  return events.filter(([seq]) => seq > stored);
}

/**
 * Writes a run's events the long way: finds the run and its newest segment,
 * opens a new one when that one's time is up, and writes only what the
 * segments lack. Returns the segment written to, if any.
 */
function writeFound(writer: Writer, batch: EventRows, now: number): Segment | undefined {
  const { findRun, openSegment, insert, lastRow } = writer.statements;
  const run = findRun.get(batch.runId, batch.userId) as FoundRun | undefined;
  if (!run) throw new AgentRpcError('NOT_FOUND', `run ${batch.runId} not found`);
  let events = batch.events;
  const [first] = events;
  if (!first) return undefined;
  let segment: Segment | undefined = run.seg === null ? undefined : (run as Segment);
  const timeUp = segment !== undefined && now - segment.openedAt >= segmentMs;
  // Going to a new segment, or from before this one began (a write tried
  // again): only what the run's newest segment lacks, so that a run's
  // segments hold its events in order.
  if (segment && (timeUp || first[0] < segment.firstSeq)) {
    events = afterStored(lastRow, segment.seg, events);
  }
  const [firstNew] = events;
  if (!firstNew) return segment;
  if (!segment || timeUp) {
    const seg = Number(openSegment.run(run.num, firstNew[0], now).lastInsertRowid);
    segment = { num: run.num, seg, firstSeq: firstNew[0], openedAt: now };
  }
  if (insert.run(segment.seg, ...rowOf(events)).changes === 0) {
    // That first event is there: a write tried again. Only what follows it goes in.
    const rest = afterStored(lastRow, segment.seg, events);
    if (rest.length > 0) insert.run(segment.seg, ...rowOf(rest));
  }
  return segment;
}

/**
 * Inserts the rows, in a transaction the caller holds; throws NOT_FOUND when
 * a run is not its user's (the caller rolls the write back). A run this
 * connection wrote lately is written at once to the segment it wrote, while
 * that segment is its newest and its time is not up; any other goes the long
 * way (writeFound). `now` is the clock that segments are opened and timed by.
 */
export function insertEventRows(db: DatabaseSync, batches: EventRows[], now = Date.now()): void {
  const writer = writerOf(db);
  const { known } = writer;
  const write = ++writer.writes;
  for (const batch of batches) {
    const [first] = batch.events;
    if (!first) {
      writeFound(writer, batch, now); // nothing to write, but the run must be the user's
      continue;
    }
    const key = `${batch.userId}\n${batch.runId}`;
    const run = known.get(key);
    if (run && now - run.openedAt < segmentMs && first[0] >= run.firstSeq) {
      const row = rowOf(batch.events);
      if (writer.statements.insertIfNewest.run(run.seg, ...row, run.num).changes > 0) {
        run.writtenAt = write;
        continue;
      }
    }
    known.delete(key);
    const segment = writeFound(writer, batch, now);
    if (segment) known.set(key, { ...segment, writtenAt: write });
  }
  if (write % forgetAfterWrites === 0) {
    for (const [key, run] of known) {
      if (write - run.writtenAt >= forgetAfterWrites) known.delete(key);
    }
  }
}
