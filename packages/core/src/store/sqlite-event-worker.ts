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
// Checkpoints are run here, between writes, rather than by SQLite after a commit.
db.exec('PRAGMA wal_autocheckpoint = 0;');

/** How often the write-ahead log is copied into the database file. */
const checkpointEveryMs = 250;
/**
 * Frames (pages) past which the log is made to start over. A passive
 * checkpoint copies the log but cannot start it over while the other
 * connection writes between this one's writes, as it does while runs start;
 * the log then grew to the main connection's own mark (10,000 pages), and
 * that connection's commits, on the event loop, ran the checkpoints.
 */
const restartAtFrames = 2000;
let checkpointedAt = performance.now();

function checkpoint() {
  const now = performance.now();
  if (now - checkpointedAt < checkpointEveryMs) return;
  checkpointedAt = now;
  const { log } = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number };
  // RESTART holds other writers back (they wait off the event loop, see
  // sqlite-connection.ts) until readers are off the log, then starts it over.
  if (log >= restartAtFrames) db.exec('PRAGMA wal_checkpoint(RESTART)');
}

function write({ batches }: EventWrite): EventWriteResult['outcome'] {
  db.exec('BEGIN IMMEDIATE');
  try {
    insertEventRows(db, batches);
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    const message = error instanceof Error ? error.message : String(error);
    return { error: isAgentRpcError(error, 'NOT_FOUND') ? 'NOT_FOUND' : 'STORE_ERROR', message };
  }
  try {
    checkpoint();
  } catch (error) {
    // The events are stored; the checkpoint is tried again after the next write.
    console.error('agentrpc: the SQLite event writer could not checkpoint the log', error);
  }
  return 'ok';
}

parentPort?.on('message', (message: EventWrite | 'close') => {
  if (message === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  parentPort?.postMessage({ id: message.id, outcome: write(message) } satisfies EventWriteResult);
});
