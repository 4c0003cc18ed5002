// Versioned schema for SqliteStore. Each migration runs once, in order, inside
// a transaction; the applied version lives in PRAGMA user_version.
import type { DatabaseSync } from 'node:sqlite';

const migrations: string[] = [
  // 1: sessions, runs, events, memories and leases; whole records as JSON, queried columns beside them.
  `
  CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX sessions_by_user_updated ON sessions (user_id, updated_at, session_id);
  CREATE INDEX sessions_by_user_created ON sessions (user_id, created_at, session_id);
  CREATE INDEX sessions_by_updated ON sessions (updated_at);

  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX runs_by_session ON runs (session_id, created_at);
  CREATE INDEX runs_by_user_status ON runs (user_id, status);

  CREATE TABLE events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE memories (
    memory_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    agent_id TEXT,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX memories_by_user ON memories (user_id, updated_at);

  CREATE TABLE leases (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: finding unfinished runs across users after a crash.
  `CREATE INDEX runs_by_status ON runs (status, created_at);`,
  // 3: cached model answers.
  `CREATE TABLE response_cache (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
  ) WITHOUT ROWID;`,
  // 4: ids per user: two users may hold the same session and run ids.
  `
  CREATE TABLE sessions_by_user (
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, session_id)
  );
  INSERT INTO sessions_by_user
    SELECT user_id, session_id, agent_id, name, created_at, updated_at, data FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_by_user RENAME TO sessions;
  CREATE INDEX sessions_by_user_updated ON sessions (user_id, updated_at, session_id);
  CREATE INDEX sessions_by_user_created ON sessions (user_id, created_at, session_id);
  CREATE INDEX sessions_by_updated ON sessions (updated_at);

  CREATE TABLE runs_by_user (
    user_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, run_id)
  );
  INSERT INTO runs_by_user SELECT user_id, run_id, session_id, status, created_at, data FROM runs;
  DROP TABLE runs;
  ALTER TABLE runs_by_user RENAME TO runs;
  CREATE INDEX runs_by_session ON runs (user_id, session_id, created_at);
  CREATE INDEX runs_by_status ON runs (status, created_at);

  CREATE TABLE events_by_user (
    user_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, run_id, seq)
  ) WITHOUT ROWID;
  INSERT INTO events_by_user SELECT user_id, run_id, seq, data FROM events;
  DROP TABLE events;
  ALTER TABLE events_by_user RENAME TO events;
  `,
  // 5: events stored in the order they are written, found by an index. Keyed
  // by run, every write of many runs' events dirtied a page per run (and split
  // pages half empty); in arrival order the rows fill pages one after another
  // and only the small index entries scatter: half the CPU per event written.
  `
  CREATE TABLE events_in_order (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  INSERT INTO events_in_order (user_id, run_id, seq, data)
    SELECT user_id, run_id, seq, data FROM events ORDER BY user_id, run_id, seq;
  DROP TABLE events;
  ALTER TABLE events_in_order RENAME TO events;
  CREATE UNIQUE INDEX events_by_run ON events (user_id, run_id, seq);
  `,
  // 6: a run's events of one write in one row (seq its first, last_seq its
  // last, data a JSON array of them); a row of one event keeps last_seq NULL
  // and data the event, as before. Streaming runs write an event or two each
  // per write, and a row per event was most of the event log's cost.
  `ALTER TABLE events ADD COLUMN last_seq INTEGER;`,
  // 7: each run numbered, and its events found by that number. Indexed by
  // (user id, run id, seq), every write of many runs' events dirtied an index
  // page per run: two ids made an entry some 90 bytes, so each streaming run
  // soon had a page of its own, and the write-ahead log took that many pages a
  // commit. Entries of a few bytes share pages, and the rows lose both ids.
  // Numbers are never reused (AUTOINCREMENT), so no event outlives its run's.
  `
  CREATE TABLE runs_numbered (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (user_id, run_id)
  );
  INSERT INTO runs_numbered (user_id, run_id, session_id, status, created_at, data)
    SELECT user_id, run_id, session_id, status, created_at, data FROM runs ORDER BY rowid;
  DROP TABLE runs;
  ALTER TABLE runs_numbered RENAME TO runs;
  CREATE INDEX runs_by_session ON runs (user_id, session_id, created_at);
  CREATE INDEX runs_by_status ON runs (status, created_at);

  CREATE TABLE events_numbered (
    id INTEGER PRIMARY KEY,
    run_num INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    last_seq INTEGER,
    data TEXT NOT NULL
  );
  INSERT INTO events_numbered (run_num, seq, last_seq, data)
    SELECT runs.num, events.seq, events.last_seq, events.data
    FROM events JOIN runs ON runs.user_id = events.user_id AND runs.run_id = events.run_id
    ORDER BY events.id;
  DROP TABLE events;
  ALTER TABLE events_numbered RENAME TO events;
  CREATE UNIQUE INDEX events_by_run ON events (run_num, seq);
  `,
  // 8: a run's cancel request beside its record, as its status is. A server
  // asks every second whether each run it has going was asked to cancel on
  // another instance: read from the record's JSON, 500 runs took 5–6 ms of
  // the event loop at once.
  `
  ALTER TABLE runs ADD COLUMN cancel_requested_at INTEGER;
  UPDATE runs SET cancel_requested_at = json_extract(data, '$.cancelRequestedAt')
    WHERE json_extract(data, '$.cancelRequestedAt') IS NOT NULL;
  `,
  // 9: a run's events in segments, each written for a couple of seconds
  // (sqlite-event-segments.ts), numbered as they open and indexed by
  // (segment, seq): each write's index entries go near the index's end.
  // Indexed by run, a write of 500 runs that had streamed for 40 s put some
  // 550 pages in the write-ahead log, and some 60 this way. A run's existing
  // events make one segment, numbered as the run (run numbers are unique).
  `
  CREATE TABLE event_segments (
    seg INTEGER PRIMARY KEY,
    run_num INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    opened_at INTEGER NOT NULL
  );
  INSERT INTO event_segments (seg, run_num, first_seq, opened_at)
    SELECT run_num, run_num, min(seq), 0 FROM events GROUP BY run_num;
  CREATE INDEX event_segments_by_run ON event_segments (run_num, seg);
  DROP INDEX events_by_run;
  ALTER TABLE events RENAME COLUMN run_num TO seg;
  CREATE UNIQUE INDEX events_by_segment ON events (seg, seq);
  `,
];

/** Brings the database up to `target` (default the latest version); returns the version it is at. */
export function migrate(db: DatabaseSync, target = migrations.length): number {
  const { user_version: current } = db.prepare('PRAGMA user_version').get() as {
    user_version: number;
  };
  for (let version = current; version < target; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migrations[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return Math.max(current, target);
}
