// `pnpm --filter @agentrpc/bench bench:event-rows`: what the SQLite event log
// costs per event written as runs stream on, with runs' rows in segments (as
// SqliteStore writes them, sqlite-event-rows.ts) against the layout before it,
// one index by (run, seq), side by side. The writes are the event worker's:
// RUNS runs, each adding EVENTS_PER_WRITE events per transaction, one
// transaction per 100 ms of a simulated clock (a run streaming a chunk every
// 50 ms adds two per write), in a fresh file with the worker's settings.
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { EventRows } from '../../packages/core/src/store/sqlite-event-rows.ts';
import { insertEventRows, rowOf } from '../../packages/core/src/store/sqlite-event-segments.ts';
import { migrate } from '../../packages/core/src/store/sqlite-migrations.ts';
import { storedEventText } from '../../packages/core/src/store/stored-events.ts';
import { median, sideBySide } from './measure.ts';
import { writeResultsSection } from './results-file.ts';

const runs = Number(process.env.RUNS ?? 500);
const eventsPerRun = Number(process.env.EVENTS ?? 400);
const rounds = Number(process.env.ROUNDS ?? 5);
const perWrite = Number(process.env.EVENTS_PER_WRITE ?? 2);
const writeEveryMs = 100;

type Layout = 'segments' | 'by run';

/** The schema version each layout is written at: the latest, and the one before segments. */
const schemaVersion: Record<Layout, number | undefined> = { segments: undefined, 'by run': 8 };

/** Write-ahead log pages per write, in every round, by layout. */
const walPages = new Map<Layout, number[]>([
  ['segments', []],
  ['by run', []],
]);

/** The layout before segments: its run lookup and insert, as its store wrote them. */
function byRunWriter(db: DatabaseSync): (batches: EventRows[]) => void {
  const runNum = db.prepare('SELECT num FROM runs WHERE run_id = ? AND user_id = ?');
  const insert: StatementSync = db.prepare(
    'INSERT INTO events (run_num, seq, last_seq, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  return (batches) => {
    const nums = batches.map(
      ({ userId, runId }) => (runNum.get(runId, userId) as { num: number }).num,
    );
    batches.forEach(({ events }, i) => {
      if (events.length > 0) insert.run(nums[i] as number, ...rowOf(events));
    });
  };
}

/** CPU µs per event for one layout, in a fresh database file. */
function measure(layout: Layout): number {
  const path = join(tmpdir(), `agentrpc-event-rows-${process.pid}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const setup = new DatabaseSync(path);
  setup.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  migrate(setup, schemaVersion[layout]);
  // Ids as the server makes them: a UUID per run, users with names of their own.
  const keys = Array.from({ length: runs }, (_, i) => ({
    userId: `user-${i % 20}`,
    runId: randomUUID(),
  }));
  const insertRun = setup.prepare(
    "INSERT INTO runs (run_id, session_id, user_id, status, created_at, data) VALUES (?, 's', ?, 'running', 0, '{}')",
  );
  for (const { userId, runId } of keys) insertRun.run(runId, userId);
  setup.close();
  // The worker's connection, set up as sqlite-event-worker.ts sets up its own,
  // but for the log's checkpoints, left out so that its growth counts the
  // pages each write puts in it.
  const db = new DatabaseSync(path);
  db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;');
  const write =
    layout === 'segments'
      ? (batches: EventRows[], now: number) => insertEventRows(db, batches, now)
      : byRunWriter(db);
  const logFile = `${path}-wal`;
  let pages = 0;
  let writes = 0;
  let cpu = 0;
  for (let seq = 1; seq <= eventsPerRun; seq += perWrite) {
    const seqs = Array.from({ length: perWrite }, (_, k) => seq + k);
    const now = writes * writeEveryMs;
    const batches: EventRows[] = keys.map(({ userId, runId }) => ({
      userId,
      runId,
      events: seqs.map((s): [number, string] => [
        s,
        storedEventText({ type: 'run.content', runId, seq: s, createdAt: now, delta: 'abcd' }),
      ]),
    }));
    const logBefore = statSync(logFile, { throwIfNoEntry: false })?.size ?? 0;
    const started = process.cpuUsage();
    db.exec('BEGIN IMMEDIATE');
    write(batches, now);
    db.exec('COMMIT');
    const { user, system } = process.cpuUsage(started);
    cpu += user + system;
    const pageSize = 4096 + 24; // a log frame: its header and the page
    pages += (statSync(logFile).size - logBefore) / pageSize;
    writes++;
    // Start the log over now and then, outside the time measured.
    if (writes % 50 === 0) db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }
  db.close();
  walPages.get(layout)?.push(pages / writes);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  return cpu / (runs * eventsPerRun);
}

const medians = await sideBySide<Layout>(['segments', 'by run'], rounds, measure);
const pagesOf = (layout: Layout) => median(walPages.get(layout) ?? []);
console.log(
  `by run ${medians['by run'].toFixed(2)} → segments ${medians.segments.toFixed(2)} µs per event; ` +
    `${pagesOf('by run').toFixed(0)} → ${pagesOf('segments').toFixed(0)} log pages per write`,
);

writeResultsSection(
  "## SQLite event log: runs' rows in segments",
  `
## SQLite event log: runs' rows in segments against one index by run (\`bench:event-rows\`)

Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: the event
worker's transactions (the store's schema, WAL, a fresh file) with events in the text the store writes, ${runs}
runs each adding ${perWrite} events per transaction, a transaction per ${writeEveryMs} ms of a simulated clock,
${eventsPerRun} events per run (${(eventsPerRun / perWrite / (1000 / writeEveryMs)).toFixed(0)} s of streaming at a chunk every
${writeEveryMs / perWrite} ms). Segments: \`insertEventRows\` as the store writes now. By run: the layout before (schema version 8), each
run's rows found by an index by (run, seq). CPU time (user + system) of the transactions per event and pages the
write-ahead log took per write, median of ${rounds} rounds, the two alternating (the log's checkpoints, run
outside the time measured, left out of both).

| layout | CPU µs per event | log pages per write |
| --- | ---: | ---: |
| by run (before) | ${medians['by run'].toFixed(2)} | ${pagesOf('by run').toFixed(0)} |
| segments | ${medians.segments.toFixed(2)} | ${pagesOf('segments').toFixed(0)} |

Rerun: \`pnpm --filter @agentrpc/bench bench:event-rows\` (RUNS, EVENTS, ROUNDS, EVENTS_PER_WRITE).
`,
);
