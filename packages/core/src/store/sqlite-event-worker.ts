// The worker thread that writes a SqliteStore's event log: its own connection
// to the same file (WAL lets one process hold several), so the inserts, their
// commits and the WAL checkpoints that follow them run beside the event loop
// rather than on it. Each message is one transaction; the reply says how it
// ended.
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { isAgentRpcError } from '../errors.ts';
import { eventRowsOfTexts } from './sqlite-event-message.ts';
import { insertEventRows } from './sqlite-event-segments.ts';
import type { EventWrite, EventWriteResult } from './sqlite-event-writer.ts';

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new DatabaseSync(path);
db.exec(
  `PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${Number(busyTimeoutMs)}; PRAGMA foreign_keys = ON;`,
);
/** How often, at most, the worker looks at the write-ahead log's file. */
const checkEveryMs = 250;
/**
 * Pages past which a log that keeps growing is made to start over. SQLite's
 * own checkpoint after a commit (from 1,000 pages) copies the log but cannot
 * start it over while the other connection writes between this one's writes,
 * as it does while many runs start: the log then grew to the main connection's
 * mark (10,000 pages), and that connection's commits, on the event loop, ran
 * the checkpoints. The file never shrinks, so it grows only while the log runs
 * on without starting over; that is when this worker forces it.
 */
const restartAtBytes =
  2000 * (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
const logFile = `${path}-wal`;
let logBytes = 0;
let checkedAt = performance.now();

/** Starts the log over when its file grew past restartAtBytes since the last look. */
function restartGrowingLog() {
  const now = performance.now();
  if (now - checkedAt < checkEveryMs) return;
  checkedAt = now;
  const bytes = statSync(logFile, { throwIfNoEntry: false })?.size ?? 0;
  const grew = bytes > logBytes;
  logBytes = bytes;
  // RESTART holds other writers back (they wait off the event loop, see
  // sqlite-connection.ts) until readers are off the log, then starts it over.
  if (grew && bytes >= restartAtBytes) db.exec('PRAGMA wal_checkpoint(RESTART)');
}

function write({ rows }: EventWrite): EventWriteResult['outcome'] {
  try {
    const batches = eventRowsOfTexts(rows);
    db.exec('BEGIN IMMEDIATE');
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
  try {
    restartGrowingLog();
  } catch (error) {
    // The events are stored and answered for; the check runs again after a later write.
    console.error('agentrpc: the SQLite event writer could not checkpoint the log', error);
  }
});
