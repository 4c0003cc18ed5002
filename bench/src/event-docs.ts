// `STORE=mongodb://… pnpm --filter @agentrpc/bench bench:event-docs`: what the
// MongoDB event log costs the database server per event written, with a run's
// events of one append in one document as a JSON text (as MongoStore writes
// them) against a document per event (as earlier versions did), side by side.
// The database's CPU is read from /proc for the processes named ferretdb,
// postgres or mongod on this machine, so the server must run here (Linux).
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { RunEvent } from '@agentrpc/core';
import { type Document, MongoClient } from 'mongodb';
import { eventDocs } from '../../packages/mongodb/src/event-docs.ts';
import { sideBySide } from './measure.ts';
import { writeResultsSection } from './results-file.ts';

const url = process.env.STORE;
if (!url?.startsWith('mongodb')) {
  console.error('bench:event-docs needs STORE=mongodb://… (`scripts/ferretdb.sh start-pg 27100`)');
  process.exit(1);
}
const runs = Number(process.env.RUNS ?? 250);
const eventsPerRun = Number(process.env.EVENTS ?? 80);
const rounds = Number(process.env.ROUNDS ?? 3);
const perWriteSizes = (process.env.EVENTS_PER_WRITE ?? '1,2,5,20').split(',').map(Number);

type Layout = 'a document per append' | 'a document per event';

/** CPU ms (user + system) used so far by the database's processes on this machine. */
function databaseCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8');
      if (!/^(ferretdb|postgres|mongod)/.test(name)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * 10; // 100 ticks per second on Linux
}

function docsFor(layout: Layout, runIds: string[], seqs: number[]): Document[] {
  return runIds.flatMap((runId) => {
    const events: RunEvent[] = seqs.map((seq) => ({
      type: 'run.content',
      runId,
      seq,
      createdAt: Date.now(),
      delta: 'abcd',
    }));
    if (layout === 'a document per append')
      return eventDocs({ key: { userId: 'user', runId }, events });
    return events.map((event) => ({
      _id: `4:user:${runId}:${event.seq}`,
      runId,
      userId: 'user',
      seq: event.seq,
      event,
    }));
  });
}

/** Database CPU µs per event for one layout, in a collection of its own. */
async function measure(client: MongoClient, layout: Layout, perWrite: number): Promise<number> {
  const db = client.db(`agentrpc_event_docs_${process.pid}`);
  const events = db.collection(`events_${Date.now()}`);
  await events.createIndex({ userId: 1, runId: 1, seq: 1 }, { unique: true });
  const runIds = Array.from({ length: runs }, (_, i) => `run-${i}`);
  const started = databaseCpuMs();
  for (let seq = 1; seq <= eventsPerRun; seq += perWrite) {
    const seqs = Array.from({ length: perWrite }, (_, k) => seq + k);
    await events.insertMany(docsFor(layout, runIds, seqs), { ordered: false });
  }
  const used = databaseCpuMs() - started;
  await events.drop();
  return (used * 1000) / (runs * eventsPerRun);
}

const client = new MongoClient(url);
const rows: string[] = [];
for (const perWrite of perWriteSizes) {
  const medians = await sideBySide<Layout>(
    ['a document per append', 'a document per event'],
    rounds,
    (layout) => measure(client, layout, perWrite),
  );
  const merged = medians['a document per append'];
  const split = medians['a document per event'];
  rows.push(
    `| ${perWrite} | ${split.toFixed(1)} | ${merged.toFixed(1)} | ${(merged / split).toFixed(2)} |`,
  );
  console.log(
    `${perWrite} events per write: ${split.toFixed(1)} → ${merged.toFixed(1)} µs per event`,
  );
}
await client.db(`agentrpc_event_docs_${process.pid}`).dropDatabase();
await client.close();

const server = (await serverName()) ?? 'a MongoDB-wire server';
writeResultsSection(
  '## MongoDB event log: a document per append',
  `
## MongoDB event log: a document per append against a document per event (\`bench:event-docs\`)

Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, against
${server} on this machine: ${runs} runs each adding the given number of events per \`insertMany\` (one per
run per append, as the event log writes), ${eventsPerRun} events per run, with the store's own documents
(\`eventDocs\`: the append's events as one JSON text) against one document per event; the database's CPU
time (user + system of its ferretdb, postgres or mongod processes) per event, median of ${rounds} rounds,
the two layouts alternating. A run streaming a chunk every 50 ms adds two events per 100 ms write; an
event log that waits for a slow database writes more per append.

| events per run per write | database CPU µs per event, a document per event | a document per append | ratio |
| ---: | ---: | ---: | ---: |
${rows.join('\n')}

Rerun: \`STORE=mongodb://… pnpm --filter @agentrpc/bench bench:event-docs\` (RUNS, EVENTS, ROUNDS,
EVENTS_PER_WRITE; \`scripts/ferretdb.sh start-pg 27100\` starts FerretDB on PostgreSQL).
`,
);

/** What the server says it is (FerretDB reports itself in buildInfo). */
async function serverName(): Promise<string | undefined> {
  const probe = new MongoClient(url as string);
  try {
    const info = await probe.db('admin').command({ buildInfo: 1 });
    const ferret = info.ferretdbVersion as string | undefined;
    return ferret ? `FerretDB ${ferret}` : `MongoDB ${String(info.version)}`;
  } catch {
    return undefined;
  } finally {
    await probe.close();
  }
}
