// `pnpm --filter @agentrpc/bench bench:event-rows`: what the SQLite event log
// costs per event written, with a run's events of one write in one row (as
// SqliteStore writes them) against a row per event, side by side. The writes
// are the event worker's: RUNS runs, each adding EVENTS_PER_WRITE events per
// transaction (a run streaming a chunk every 50 ms adds two per 100 ms write),
// through the same insert code and schema the store uses, in a fresh file.
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  type EventRows,
  insertEventRows,
} from '../../packages/core/src/store/sqlite-event-rows.ts';
import { migrate } from '../../packages/core/src/store/sqlite-migrations.ts';
import { storedEventText } from '../../packages/core/src/store/stored-events.ts';
import { sideBySide } from './measure.ts';
import { writeResultsSection } from './results-file.ts';

const runs = Number(process.env.RUNS ?? 500);
const eventsPerRun = Number(process.env.EVENTS ?? 200);
const rounds = Number(process.env.ROUNDS ?? 5);
const perWriteSizes = (process.env.EVENTS_PER_WRITE ?? '1,2,5').split(',').map(Number);

type Layout = 'one row per write' | 'one row per event';

/** Database bytes per event (file, after a checkpoint) in the last round, by layout and events per write. */
const fileBytes = new Map<string, number>();

/** CPU µs per event for one layout, in a fresh database file. */
function measure(layout: Layout, perWrite: number): number {
  const path = join(tmpdir(), `agentrpc-event-rows-${process.pid}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const setup = new DatabaseSync(path);
  setup.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  migrate(setup);
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
  // The worker's connection, set up as sqlite-event-worker.ts sets up its own.
  const db = new DatabaseSync(path);
  db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  const started = process.cpuUsage();
  for (let seq = 1; seq <= eventsPerRun; seq += perWrite) {
    const seqs = Array.from({ length: perWrite }, (_, k) => seq + k);
    const batches: EventRows[] = keys.flatMap(({ userId, runId }) => {
      const events = seqs.map((s): [number, string] => [
        s,
        storedEventText({
          type: 'run.content',
          runId,
          seq: s,
          createdAt: Date.now(),
          delta: 'abcd',
        }),
      ]);
      return layout === 'one row per write'
        ? [{ userId, runId, events }]
        : events.map((event) => ({ userId, runId, events: [event] }));
    });
    db.exec('BEGIN IMMEDIATE');
    insertEventRows(db, batches);
    db.exec('COMMIT');
  }
  const { user, system } = process.cpuUsage(started);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  fileBytes.set(`${layout} ${perWrite}`, statSync(path).size / (runs * eventsPerRun));
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  return (user + system) / (runs * eventsPerRun);
}

const rows: string[] = [];
for (const perWrite of perWriteSizes) {
  const medians = await sideBySide<Layout>(
    ['one row per write', 'one row per event'],
    rounds,
    (layout) => measure(layout, perWrite),
  );
  const merged = medians['one row per write'];
  const split = medians['one row per event'];
  const bytes = (layout: Layout) => (fileBytes.get(`${layout} ${perWrite}`) ?? 0).toFixed(0);
  rows.push(
    `| ${perWrite} | ${split.toFixed(2)} | ${merged.toFixed(2)} | ${(merged / split).toFixed(2)} | ${bytes('one row per event')} | ${bytes('one row per write')} |`,
  );
  console.log(
    `${perWrite} events per write: ${split.toFixed(2)} → ${merged.toFixed(2)} µs per event`,
  );
}

writeResultsSection(
  '## SQLite event log: a row per write',
  `
## SQLite event log: a row per write against a row per event (\`bench:event-rows\`)

Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: the event
worker's transactions (\`insertEventRows\`, the store's schema, WAL, a fresh file) with events in the text the
store writes (\`storedEventText\`: a delta without its run's id), ${runs} runs each adding
the given number of events per transaction, ${eventsPerRun} events per run; CPU time (user + system) per event,
median of ${rounds} rounds, the two layouts alternating; the database file's size (after a checkpoint) per event
in the last round. A run streaming a chunk every 50 ms adds two events
per 100 ms write of the event log.

| events per run per write | CPU µs per event, a row per event | CPU µs per event, a row per write | ratio | file bytes per event, a row per event | file bytes per event, a row per write |
| ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Rerun: \`pnpm --filter @agentrpc/bench bench:event-rows\` (RUNS, EVENTS, ROUNDS, EVENTS_PER_WRITE).
`,
);
