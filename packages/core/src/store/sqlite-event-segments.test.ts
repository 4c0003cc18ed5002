import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { Sql } from './sqlite-connection.ts';
import { type EventRows, readEventRows } from './sqlite-event-rows.ts';
import { insertEventRows, segmentMs } from './sqlite-event-segments.ts';
import { migrate } from './sqlite-migrations.ts';
import { deleteRunsOf } from './sqlite-run-rows.ts';

const dir = mkdtempSync(join(tmpdir(), 'agentrpc-event-rows-'));
let n = 0;

/** A database at the latest schema with runs `a` and `b` of user `u` in session `s`. */
function database() {
  const path = join(dir, `rows-${n++}.db`);
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  migrate(db);
  const insertRun = db.prepare(
    "INSERT INTO runs (run_id, session_id, user_id, status, created_at, data) VALUES (?, 's', 'u', 'running', 0, '{}')",
  );
  for (const runId of ['a', 'b']) insertRun.run(runId);
  const sql: Sql = (text) => db.prepare(text);
  /** Writes the runs' events in one transaction on `on` (this database's connection unless given). */
  const writeOn = (on: DatabaseSync, now: number, ...runs: [runId: string, seqs: number[]][]) => {
    const batches: EventRows[] = runs.map(([runId, seqs]) => ({
      userId: 'u',
      runId,
      events: seqs.map((seq) => [
        seq,
        JSON.stringify({ type: 'run.content', seq, delta: `${seq}` }),
      ]),
    }));
    on.exec('BEGIN IMMEDIATE');
    try {
      insertEventRows(on, batches, now);
      on.exec('COMMIT');
    } catch (error) {
      on.exec('ROLLBACK');
      throw error;
    }
  };
  const write = (now: number, ...runs: [runId: string, seqs: number[]][]) =>
    writeOn(db, now, ...runs);
  const seqs = (runId: string, afterSeq = 0, limit?: number) =>
    readEventRows(sql, { userId: 'u', runId, afterSeq, ...(limit ? { limit } : {}) }).map(
      (event) => event.seq,
    );
  const segments = () =>
    db.prepare('SELECT seg, run_num, first_seq, opened_at FROM event_segments ORDER BY seg').all();
  return { path, db, sql, write, writeOn, seqs, segments };
}

describe('the SQLite event log in segments', () => {
  it('opens a new segment per run after segmentMs, numbered in the order they open', () => {
    const { write, seqs, segments } = database();
    write(0, ['a', [1, 2]], ['b', [1]]);
    write(segmentMs - 1, ['a', [3, 4]]);
    write(segmentMs, ['b', [2, 3]], ['a', [5]]);
    write(segmentMs + 100, ['a', [6]]);
    expect(segments()).toEqual([
      { seg: 1, run_num: 1, first_seq: 1, opened_at: 0 },
      { seg: 2, run_num: 2, first_seq: 1, opened_at: 0 },
      { seg: 3, run_num: 2, first_seq: 2, opened_at: segmentMs },
      { seg: 4, run_num: 1, first_seq: 5, opened_at: segmentMs },
    ]);
    expect(seqs('a')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs('b')).toEqual([1, 2, 3]);
  });

  it("reads a run's events from any seq and up to a limit, across segments and inside rows", () => {
    const { write, seqs } = database();
    write(0, ['a', [1, 2, 3]]);
    write(segmentMs, ['a', [4, 5]]);
    write(2 * segmentMs, ['a', [6]]);
    for (let after = 0; after <= 6; after++) {
      expect(seqs('a', after)).toEqual([1, 2, 3, 4, 5, 6].filter((seq) => seq > after));
    }
    expect(seqs('a', 2, 3)).toEqual([3, 4, 5]);
    expect(seqs('a', 4, 1)).toEqual([5]);
    expect(seqs('b')).toEqual([]);
  });

  it('stores each event once when a write is tried again, in its segment or after it', () => {
    const { db, write, seqs } = database();
    write(0, ['a', [1, 2, 3]]);
    write(10, ['a', [1, 2, 3]]);
    write(20, ['a', [1, 2, 3, 4]]);
    // Tried again once the run's segment has run its time: the new one starts after 4.
    write(segmentMs, ['a', [4, 5]]);
    // Reaching back before the newest segment began.
    write(segmentMs + 10, ['a', [4, 5, 6]]);
    write(segmentMs + 20, ['a', [3, 4, 5, 6]]);
    expect(seqs('a')).toEqual([1, 2, 3, 4, 5, 6]);
    const rows = db.prepare('SELECT seg, seq, last_seq FROM events ORDER BY id').all();
    expect(rows).toEqual([
      { seg: 1, seq: 1, last_seq: 3 },
      { seg: 1, seq: 4, last_seq: null },
      { seg: 2, seq: 5, last_seq: null },
      { seg: 2, seq: 6, last_seq: null },
    ]);
  });

  it('writes a run named twice in one write to the segment the write opened', () => {
    const { write, seqs, segments } = database();
    write(0, ['a', [1]]);
    write(segmentMs, ['a', [2]], ['a', [3]]);
    expect(segments()).toHaveLength(2);
    expect(seqs('a')).toEqual([1, 2, 3]);
  });

  it("fails a write naming another user's run, and keeps none of it", () => {
    const { db, seqs } = database();
    const event = (runId: string, userId: string): EventRows => ({
      userId,
      runId,
      events: [[1, '{"type":"run.content","seq":1,"delta":"x"}']],
    });
    db.exec('BEGIN IMMEDIATE');
    expect(() => insertEventRows(db, [event('a', 'u'), event('b', 'someone else')], 0)).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    db.exec('ROLLBACK');
    expect(seqs('a')).toEqual([]);
    // A write of no events still asks that each run be its user's.
    expect(() => insertEventRows(db, [{ userId: 'someone else', runId: 'a', events: [] }])).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    // What the connection remembers of the write it rolled back misleads no later one.
    db.exec('BEGIN IMMEDIATE');
    insertEventRows(db, [event('a', 'u')], 10);
    db.exec('COMMIT');
    expect(seqs('a')).toEqual([1]);
  });

  it("writes to a run's newest segment when another connection opened it", () => {
    const { path, write, writeOn, seqs, segments } = database();
    const other = new DatabaseSync(path);
    write(0, ['a', [1]]);
    // The run goes on from another connection (another process), which opens a segment of its own.
    writeOn(other, segmentMs, ['a', [2]]);
    // This connection's segment is still within its time, but no longer the run's newest.
    write(100, ['a', [3]]);
    expect(segments().map((segment) => segment.first_seq)).toEqual([1, 2]);
    expect(seqs('a')).toEqual([1, 2, 3]);
    other.close();
  });

  it('fails a write to a run deleted since this connection last wrote it', () => {
    const { sql, write } = database();
    write(0, ['a', [1]]);
    deleteRunsOf(sql, { userId: 'u', sessionId: 's' });
    expect(() => write(10, ['a', [2]])).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it("deletes a session's runs with their segments and events", () => {
    const { db, sql, write, segments } = database();
    write(0, ['a', [1]], ['b', [1]]);
    write(segmentMs, ['a', [2]]);
    deleteRunsOf(sql, { userId: 'u', sessionId: 's' });
    expect(segments()).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
  });
});
