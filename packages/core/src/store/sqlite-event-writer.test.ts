import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { contentEvent, runFixture, sessionFixture } from '../testing/store-conformance.ts';
import { SqliteEventWriter } from './sqlite-event-writer.ts';
import { SqliteStore } from './sqlite-store.ts';

describe('SqliteEventWriter', () => {
  it('fails the writes of a worker that died, and starts a new one for the next', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentrpc-writer-')), 'events.db');
    const store = new SqliteStore({ path, eventWrites: 'inline' });
    const session = await store.createSession(sessionFixture('u', { sessionId: 's1' }));
    await store.appendRun(runFixture(session, { runId: 'r1', status: 'running' }));
    // A worker with a heap too small for the batch it is sent: it runs out of memory and dies.
    const writer = new SqliteEventWriter(path, {
      resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 },
    });
    const key = { userId: 'u', runId: 'r1' };
    // It writes at first: the limits leave room for the worker itself.
    await writer.write([{ key, events: [contentEvent('r1', 1, 'a')] }]);
    const huge = Array.from({ length: 64 }, (_, i) =>
      contentEvent('r1', i + 2, 'x'.repeat(1 << 20)),
    );
    await expect(writer.write([{ key, events: huge }])).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    await writer.write([{ key, events: [contentEvent('r1', 2, 'b')] }]);
    expect(await store.readEvents(key)).toMatchObject([{ delta: 'a' }, { delta: 'b' }]);
    await writer.close();
    await store.close();
  });

  it('has closed once close() resolves, in a process with nothing else to keep it alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentrpc-writer-'));
    const path = join(dir, 'events.db');
    // The worker lets an idle process exit; its close must not do the same, or
    // close() never settles and whatever awaits it never runs.
    const script = `
      import { SqliteStore } from ${JSON.stringify(new URL('./sqlite-store.ts', import.meta.url).href)};
      import { contentEvent, runFixture, sessionFixture } from ${JSON.stringify(new URL('../testing/store-conformance.ts', import.meta.url).href)};
      const store = new SqliteStore({ path: ${JSON.stringify(path)} });
      const session = await store.createSession(sessionFixture('u'));
      await store.appendRun(runFixture(session, { runId: 'r1', status: 'running' }));
      await store.appendEvents({ userId: 'u', runId: 'r1' }, [contentEvent('r1', 1, 'a')]);
      await store.close();
      console.log('closed');
    `;
    const file = join(dir, 'close.mjs');
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', file],
      { timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('closed');
  });

  it('starts the write-ahead log over when it keeps growing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentrpc-writer-')), 'events.db');
    const store = new SqliteStore({ path });
    const session = await store.createSession(sessionFixture('u'));
    await store.appendRun(runFixture(session, { runId: 'r1', status: 'running' }));
    const key = { userId: 'u', runId: 'r1' };
    const pages = (from: number) =>
      Array.from({ length: 3000 }, (_, i) => contentEvent('r1', from + i, 'x'.repeat(4000)));
    const framesInLog = () => {
      const raw = new DatabaseSync(path);
      raw.exec('PRAGMA wal_autocheckpoint = 0');
      const { log } = raw.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number };
      raw.close();
      return log;
    };
    // A reader on an old snapshot keeps SQLite's own checkpoints from starting
    // the log over, as another connection writing all the time does.
    const reader = new DatabaseSync(path);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM runs').get();
    await store.appendEvents(key, pages(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await store.appendEvents(key, pages(3001));
    // The log's file grew past 2,000 pages: the worker starts it over once the reader is off it.
    reader.exec('COMMIT');
    reader.close();
    await store.appendEvents(key, [contentEvent('r1', 6001)]);
    expect(framesInLog()).toBeLessThan(100);
    expect(await store.readEvents({ ...key, afterSeq: 5999 })).toHaveLength(2);
    await store.close();
  });
});
