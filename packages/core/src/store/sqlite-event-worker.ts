// The worker thread that writes a SqliteStore's event log: its own connection
// to the same file (WAL lets one process hold several), so the inserts, their
// commits and the WAL checkpoints that follow them run beside the event loop
// rather than on it. Each message is one transaction; the reply says how it
// ended.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { isAgentRpcError } from '../errors.ts';
import { insertEventRows } from './sqlite-event-rows.ts';
import type { EventWrite, EventWriteResult } from './sqlite-event-writer.ts';

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new DatabaseSync(path);
db.exec(
  `PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${Number(busyTimeoutMs)}; PRAGMA foreign_keys = ON;`,
);

function write({ batches }: EventWrite): EventWriteResult['outcome'] {
  db.exec('BEGIN IMMEDIATE');
  try {
    insertEventRows(db, batches);
    db.exec('COMMIT');
    return 'ok';
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    const message = error instanceof Error ? error.message : String(error);
    return { error: isAgentRpcError(error, 'NOT_FOUND') ? 'NOT_FOUND' : 'STORE_ERROR', message };
  }
}

parentPort?.on('message', (message: EventWrite | 'close') => {
  if (message === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  parentPort?.postMessage({ id: message.id, outcome: write(message) } satisfies EventWriteResult);
});
