// The worker thread that writes a SqliteStore's event log: its own connection
// to the same file (WAL lets one process hold several), so the inserts, their
// commits and the WAL checkpoints that follow them run beside the event loop
// rather than on it. Each message is one transaction; the reply says how it
// ended.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import type { EventWrite, EventWriteResult } from './sqlite-event-writer.ts';

const db = new DatabaseSync((workerData as { path: string }).path);
db.exec('PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
const owned = db.prepare('SELECT 1 FROM runs WHERE run_id = ? AND user_id = ?');
const insert = db.prepare(
  'INSERT INTO events (run_id, seq, user_id, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
);

function write({ batches }: EventWrite): EventWriteResult['outcome'] {
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const { userId, runId } of batches) {
      if (!owned.get(runId, userId)) {
        db.exec('ROLLBACK');
        return { error: 'NOT_FOUND', message: `run ${runId} not found` };
      }
    }
    for (const { userId, runId, events } of batches) {
      for (const [seq, data] of events) insert.run(runId, seq, userId, data);
    }
    db.exec('COMMIT');
    return 'ok';
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    return {
      error: 'STORE_ERROR',
      message: error instanceof Error ? error.message : String(error),
    };
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
