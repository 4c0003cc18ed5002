// `pnpm --filter @agentrpc/bench bench:event-handover`: what handing the event
// log's writes to SqliteStore's event worker costs each thread, per event,
// as texts (what the store sends, sqlite-event-message.ts) against the same
// rows as objects (what structured cloning would copy value by value). Each
// write is RUNS runs with EVENTS_PER_WRITE deltas each, as a server streaming
// that many runs writes every 100 ms. The worker takes the rows and stops
// there: the SQLite writes after are bench:event-rows'.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { eventRowsTexts } from '../../packages/core/src/store/sqlite-event-message.ts';
import { toEventRows } from '../../packages/core/src/store/sqlite-event-rows.ts';
import type { EventBatch } from '../../packages/core/src/store/types.ts';
import { median, sideBySide } from './measure.ts';
import { writeResultsSection } from './results-file.ts';

const runs = Number(process.env.RUNS ?? 500);
const perWrite = Number(process.env.EVENTS_PER_WRITE ?? 2);
const writes = Number(process.env.WRITES ?? 400);
const rounds = Number(process.env.ROUNDS ?? 7);

type Form = 'texts' | 'objects';

const receiver = new URL('./event-handover-worker.ts', import.meta.url);

function writeOf(seq: number): EventBatch[] {
  return Array.from({ length: runs }, () => {
    const runId = randomUUID();
    const events = Array.from({ length: perWrite }, (_, i) => ({
      type: 'run.content' as const,
      runId,
      seq: seq + i,
      createdAt: Date.now(),
      delta: 'abcd',
    }));
    return { key: { userId: 'load', runId }, events };
  });
}

/** CPU µs per event on the sending thread and on the worker, for one form. */
async function measure(form: Form): Promise<{ sender: number; worker: number }> {
  const worker = new Worker(receiver, { workerData: { form, writes } });
  await once(worker, 'online');
  const done = once(worker, 'message') as Promise<[number]>;
  worker.postMessage('start');
  let sending = 0;
  for (let i = 0; i < writes; i++) {
    const batches = writeOf(i * perWrite + 1);
    const started = process.threadCpuUsage();
    worker.postMessage(form === 'texts' ? eventRowsTexts(batches) : toEventRows(batches));
    const { user, system } = process.threadCpuUsage(started);
    sending += user + system;
  }
  const [workerMicros] = await done;
  await worker.terminate();
  const events = writes * runs * perWrite;
  return { sender: sending / events, worker: workerMicros / events };
}

const figures = new Map<Form, { sender: number; worker: number }[]>();
await sideBySide<Form>(['texts', 'objects'], rounds, async (form) => {
  const measured = await measure(form);
  figures.set(form, [...(figures.get(form) ?? []), measured]);
  return measured.sender;
});
const row = (form: Form) => {
  const all = figures.get(form) ?? [];
  const sender = median(all.map((f) => f.sender));
  const worker = median(all.map((f) => f.worker));
  console.log(`${form}: ${sender.toFixed(3)} µs sending, ${worker.toFixed(3)} µs receiving`);
  return `| ${form} | ${sender.toFixed(3)} | ${worker.toFixed(3)} | ${((sender * runs * perWrite) / 1000).toFixed(2)} |`;
};

writeResultsSection(
  '## SQLite event log: handing writes to the worker',
  `
## SQLite event log: handing writes to the worker (\`bench:event-handover\`)

Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: ${writes} writes of
${runs} runs with ${perWrite} deltas each posted to a worker thread, as the event log's rows in texts (what
SqliteStore sends) and as objects (an object per run, an array per event), the CPU time of the sending thread
(making the message and posting it) and of the worker (taking it in, and for texts reading them back into rows);
median of ${rounds} rounds, the two forms alternating. The last column is the event loop's time per write.

| form | sending thread, CPU µs per event | worker, CPU µs per event | event loop ms per write |
| --- | ---: | ---: | ---: |
${row('texts')}
${row('objects')}

Rerun: \`pnpm --filter @agentrpc/bench bench:event-handover\` (RUNS, EVENTS_PER_WRITE, WRITES, ROUNDS).
`,
);
