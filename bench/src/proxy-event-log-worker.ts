// proxy-event-log.ts's writer: one transaction per message, one row per
// stream per write, in a table kept in arrival order with a unique index by
// stream and first sequence number (as agentrpc's SQLite event log).
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const db = new DatabaseSync((workerData as { path: string }).path);
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
  CREATE TABLE IF NOT EXISTS events (stream INTEGER, first_seq INTEGER, last_seq INTEGER, body TEXT);
  CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream, first_seq);`);
const insert = db.prepare(
  'INSERT INTO events (stream, first_seq, last_seq, body) VALUES (?, ?, ?, ?)',
);

parentPort?.on('message', ({ write, message }: { write: number; message: string }) => {
  db.exec('BEGIN IMMEDIATE');
  for (const row of message.split('\x1e')) {
    if (!row) continue;
    const [stream, first, last, body] = row.split('\x1f');
    insert.run(Number(stream), Number(first), Number(last), body ?? '');
  }
  db.exec('COMMIT');
  parentPort?.postMessage(write);
});
