// The event log's rows in SQLite: what a write hands over, and reading a run's
// events back. A run's events of one write share a row (migration 6): a
// streaming run adds an event or two per write, and a row per event cost much
// more CPU. Where rows overlap, the one written first is read. Events are kept
// in a store's text form (stored-events.ts). A run's rows are in segments,
// written one after another (sqlite-event-segments.ts).
import type { RunEvent } from '../run/events.ts';
import { clampLimit } from './cursor.ts';
import { boundInteger, type Sql } from './sqlite-connection.ts';
import { storedEventText, withRunId } from './stored-events.ts';
import type { EventBatch, EventQuery } from './types.ts';

/** One run's events, serialised: what goes to the worker. */
export interface EventRows {
  userId: string;
  runId: string;
  events: [seq: number, data: string][];
}

/** A row of the events table as read: one event, or (last_seq set) a JSON array of them. */
export interface EventRow {
  seq: number;
  last_seq: number | null;
  data: string;
}

export function toEventRows(batches: EventBatch[]): EventRows[] {
  return batches.map(({ key, events }) => ({
    userId: key.userId,
    runId: key.runId,
    events: events.map((event) => [event.seq, storedEventText(event)]),
  }));
}

/** The run's events the query asks for; none when the user has no such run. */
export function readEventRows(sql: Sql, query: EventQuery): RunEvent[] {
  const run = sql('SELECT num FROM runs WHERE run_id = ? AND user_id = ?').get(
    query.runId,
    query.userId,
  ) as { num: number } | undefined;
  if (!run) return [];
  const afterSeq = query.afterSeq ?? 0;
  const limit = clampLimit(query.limit, 1000, 10_000);
  const rows: EventRow[] = [];
  // The segment holding afterSeq: a run's segments start at ever later events.
  const holding =
    afterSeq > 0
      ? (sql(
          `SELECT seg FROM event_segments WHERE run_num = ${boundInteger} AND first_seq <= ?
           ORDER BY seg DESC LIMIT 1`,
        ).get(run.num, afterSeq) as { seg: number } | undefined)
      : undefined;
  if (holding) {
    // The row holding afterSeq may hold events after it too.
    const row = sql(
      `SELECT seq, last_seq, data FROM events WHERE seg = ${boundInteger} AND seq <= ?
       ORDER BY seq DESC LIMIT 1`,
    ).get(holding.seg, afterSeq) as EventRow | undefined;
    if (row?.last_seq && row.last_seq > afterSeq) rows.push(row);
  }
  const after = sql(
    `SELECT e.seq, e.last_seq, e.data FROM event_segments s JOIN events e ON e.seg = s.seg
     WHERE s.run_num = ${boundInteger} AND s.seg >= ? AND e.seq > ?
     ORDER BY s.seg, e.seq LIMIT ${boundInteger}`,
  ).all(run.num, holding?.seg ?? 0, afterSeq, limit) as unknown as EventRow[];
  return eventsOfRows(rows.concat(after), { runId: query.runId, afterSeq, limit });
}

/** The events of `rows` (run `runId`'s, in seq order) after `afterSeq`, at most `limit` of them. */
function eventsOfRows(
  rows: EventRow[],
  query: { runId: string; afterSeq: number; limit: number },
): RunEvent[] {
  const { runId, afterSeq, limit } = query;
  const events: RunEvent[] = [];
  let lastSeq = afterSeq;
  for (const row of rows) {
    const parsed = JSON.parse(row.data) as RunEvent | RunEvent[];
    for (const event of row.last_seq === null ? [parsed as RunEvent] : (parsed as RunEvent[])) {
      // Rows written by one version and tried again by another may overlap: each seq once.
      if (event.seq <= lastSeq) continue;
      events.push(withRunId(event, runId));
      lastSeq = event.seq;
      if (events.length === limit) return events;
    }
  }
  return events;
}
