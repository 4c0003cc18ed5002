import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { readTogether, SqliteConnection } from './sqlite-connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'agentrpc-connection-'));
let n = 0;
const open: SqliteConnection[] = [];

/** A connection on a fresh file with a table `notes (id)` and deferred foreign keys to play with. */
async function connection(): Promise<{ connection: SqliteConnection; path: string }> {
  const path = join(dir, `connection-${n++}.db`);
  const made = new SqliteConnection({ path, busyTimeoutMs: 1000, checkpointsElsewhere: false });
  open.push(made);
  await made.write('create tables', (db) =>
    db.exec(`CREATE TABLE notes (id TEXT PRIMARY KEY);
      CREATE TABLE replies (note TEXT REFERENCES notes (id) DEFERRABLE INITIALLY DEFERRED);`),
  );
  return { connection: made, path };
}

const note = (connection: SqliteConnection, id: string) =>
  connection.write(`write ${id}`, (db) => {
    db.prepare('INSERT INTO notes (id) VALUES (?)').run(id);
    return id;
  });

/** What another connection, like the event worker or another process, sees. */
function notesSeenElsewhere(path: string): string[] {
  const other = new DatabaseSync(path, { readOnly: true });
  const rows = other.prepare('SELECT id FROM notes ORDER BY id').all() as { id: string }[];
  other.close();
  return rows.map((row) => row.id);
}

afterEach(() => {
  for (const made of open.splice(0)) made.close();
});

describe('SqliteConnection writes', () => {
  it('runs the writes of one turn together at its end, and resolves them once committed', async () => {
    const { connection: db, path } = await connection();
    const writes = [note(db, 'a'), note(db, 'b'), note(db, 'c')];
    const count = (raw: DatabaseSync) => raw.prepare('SELECT count(*) AS n FROM notes').get();
    expect(await db.use('read', count)).toEqual({ n: 0 });
    expect(await Promise.all(writes)).toEqual(['a', 'b', 'c']);
    expect(notesSeenElsewhere(path)).toEqual(['a', 'b', 'c']);
  });

  it("leaves the file's write lock to other connections until the turn's writes run", async () => {
    const { connection: db, path } = await connection();
    const writing = note(db, 'a');
    // Another process (or the event worker) writes meanwhile without waiting.
    const other = new DatabaseSync(path);
    other.exec('PRAGMA busy_timeout = 0; BEGIN IMMEDIATE');
    other.prepare('INSERT INTO notes (id) VALUES (?)').run('b');
    other.exec('COMMIT');
    other.close();
    expect(await writing).toBe('a');
    expect(notesSeenElsewhere(path)).toEqual(['a', 'b']);
  });

  it('takes back only the write that failed, all of it, and keeps the others of its turn', async () => {
    const { connection: db, path } = await connection();
    const first = note(db, 'a');
    const failed = db.write('write two notes', (raw) => {
      raw.prepare('INSERT INTO notes (id) VALUES (?)').run('b');
      raw.prepare('INSERT INTO notes (id) VALUES (?)').run('a');
    });
    const last = note(db, 'c');
    await expect(failed).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringMatching(/failed to write two notes: .*UNIQUE/),
    });
    expect(await Promise.all([first, last])).toEqual(['a', 'c']);
    expect(notesSeenElsewhere(path)).toEqual(['a', 'c']);
  });

  it('fails every write of a turn whose commit fails, and writes again in the next', async () => {
    const { connection: db, path } = await connection();
    const first = note(db, 'a');
    // A deferred foreign key is checked at the commit, which it then fails.
    const orphan = db.write('write an orphan reply', (raw) => {
      raw.prepare('INSERT INTO replies (note) VALUES (?)').run('missing');
    });
    await expect(first).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringMatching(/failed to write a: .*FOREIGN KEY/),
    });
    await expect(orphan).rejects.toMatchObject({ code: 'STORE_ERROR' });
    expect(notesSeenElsewhere(path)).toEqual([]);
    expect(await note(db, 'b')).toBe('b');
    expect(notesSeenElsewhere(path)).toEqual(['b']);
  });

  it('commits the writes of the turn when it is closed', async () => {
    const { connection: db, path } = await connection();
    const write = note(db, 'a');
    db.close();
    expect(await write).toBe('a');
    expect(notesSeenElsewhere(path)).toEqual(['a']);
  });
});

describe('readTogether', () => {
  const count = (db: DatabaseSync) =>
    (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;

  it('sees one state of the file, whatever another connection commits meanwhile', async () => {
    const { connection: made, path } = await connection();
    await note(made, 'a');
    const other = new DatabaseSync(path);
    const counts = await made.use('count twice', (db) =>
      readTogether(db, () => {
        const before = count(db);
        other.prepare('INSERT INTO notes (id) VALUES (?)').run('b');
        return [before, count(db)];
      }),
    );
    other.close();
    expect(counts).toEqual([1, 1]);
    // Once it is over, the connection reads the file as it is now.
    expect(await made.use('count', (db) => count(db))).toBe(2);
  });

  it('leaves no transaction open when the read fails', async () => {
    const { connection: made } = await connection();
    const failed = made.use('fail', (db) =>
      readTogether(db, () => db.prepare('SELECT id FROM nowhere').all()),
    );
    await expect(failed).rejects.toThrow(/no such table: nowhere/);
    expect(await made.use('check', (db) => db.isTransaction)).toBe(false);
    await expect(note(made, 'after')).resolves.toBe('after');
  });

  it('runs inside a transaction already open without starting another', async () => {
    const { connection: made } = await connection();
    const written = made.write('write and read', (db) => {
      db.prepare('INSERT INTO notes (id) VALUES (?)').run('c');
      return readTogether(db, () => count(db));
    });
    await expect(written).resolves.toBe(1);
  });
});
