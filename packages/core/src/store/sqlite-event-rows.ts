// The event log's rows in SQLite, written the same way on the caller's thread
// and on the worker (sqlite-event-worker.ts): every run must be its user's,
// else nothing is written; appends are idempotent by (run, seq): an event the
// log holds is not written again, and where rows overlap the one written first
// is read. A run's events of one write share a row (migration 6): a streaming
// run adds an event or two per write, and a row per event cost much more CPU.
// Events are kept in a store's text form (stored-events.ts).
import type { DatabaseSync } from 'node:sqlite';
import { AgentRpcError } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import { clampLimit } from './cursor.ts';
import type { Sql } from './sqlite-connection.ts';
import { storedEventText, withRunId } from './stored-events.ts';
import type { EventBatch, EventQuery } from './types.ts';

/** One run's events, serialised: what goes to the worker. */
export interface EventRows {
  userId: string;
  runId: string;
  events: [seq: number, data: string][];
}

/** A row of the events table as read: one event, or (last_seq set) a JSON array of them. */
interface EventRow {
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

/** The statements of a write, compiled once per connection. */
const statementsOf = new WeakMap<DatabaseSync, ReturnType<typeof compile>>();

function compile(db: DatabaseSync) {
  return {
    runNum: db.prepare('SELECT num FROM runs WHERE run_id = ? AND user_id = ?'),
    insert: db.prepare(
      'INSERT INTO events (run_num, seq, last_seq, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    lastRow: db.prepare(
      'SELECT seq, last_seq FROM events WHERE run_num = ? ORDER BY seq DESC LIMIT 1',
    ),
  };
}

/**
 * Inserts the rows; throws NOT_FOUND before writing when a run is not its
 * user's. A write tried again starts where it did before: its row is then
 * there, and only the events after that row's go in, as a row of their own.
 * Call it in a transaction.
 */
export function insertEventRows(db: DatabaseSync, batches: EventRows[]): void {
  let statements = statementsOf.get(db);
  if (!statements) {
    statements = compile(db);
    statementsOf.set(db, statements);
  }
  const { runNum, insert, lastRow } = statements;
  const nums = batches.map(({ userId, runId }) => {
    const row = runNum.get(runId, userId) as { num: number } | undefined;
    if (!row) throw new AgentRpcError('NOT_FOUND', `run ${runId} not found`);
    return row.num;
  });
  const insertRow = (num: number, events: EventRows['events']): boolean => {
    const [first] = events;
    if (!first) return true;
    const [data, lastSeq] =
      events.length === 1
        ? [first[1], null]
        : [`[${events.map(([, text]) => text).join(',')}]`, (events.at(-1) as [number, string])[0]];
    return insert.run(num, first[0], lastSeq, data).changes > 0;
  };
  batches.forEach((run, i) => {
    const num = nums[i] as number;
    if (insertRow(num, run.events)) return;
    const last = lastRow.get(num) as Omit<EventRow, 'data'>;
    const stored = last.last_seq ?? last.seq;
    insertRow(
      num,
      run.events.filter(([seq]) => seq > stored),
    );
  });
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
  if (afterSeq > 0) {
    // The row holding afterSeq may hold events after it too.
    const holding = sql(
      'SELECT seq, last_seq, data FROM events WHERE run_num = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
    ).get(run.num, afterSeq) as EventRow | undefined;
    if (holding?.last_seq && holding.last_seq > afterSeq) rows.push(holding);
  }
  const after = sql(
    'SELECT seq, last_seq, data FROM events WHERE run_num = ? AND seq > ? ORDER BY seq LIMIT ?',
  ).all(run.num, afterSeq, limit) as unknown as EventRow[];
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
