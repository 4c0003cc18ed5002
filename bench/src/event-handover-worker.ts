// The receiving side of bench:event-handover: takes `writes` messages in the
// given form as rows, as the event worker does before its SQLite writes,
// then answers with the CPU µs this thread spent from the first to the last.
import { parentPort, workerData } from 'node:worker_threads';
import { eventRowsOfTexts } from '../../packages/core/src/store/sqlite-event-message.ts';
import type { EventRows } from '../../packages/core/src/store/sqlite-event-rows.ts';

const { form, writes } = workerData as { form: 'texts' | 'objects'; writes: number };
let started: NodeJS.CpuUsage | undefined;
let taken = 0;

// 'start' comes first, so that taking in the first write is counted too.
parentPort?.on('message', (message: 'start' | string[] | EventRows[]) => {
  if (message === 'start') {
    started = process.threadCpuUsage();
    return;
  }
  if (form === 'texts') eventRowsOfTexts(message as string[]);
  if (++taken < writes) return;
  const { user, system } = process.threadCpuUsage(started);
  parentPort?.postMessage(user + system);
});
