import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sessionFixture, storeConformanceSuite } from '../testing/store-conformance.ts';
import { SqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'agentrpc-sqlite-'));
let n = 0;
const fresh = () => new SqliteStore({ path: join(dir, `store-${n++}.db`) });

storeConformanceSuite('SqliteStore', {
  create: async () => fresh(),
  breakBackend: (store) => store.close(),
});

describe('SqliteStore file', () => {
  it('keeps its data across a close and reopen, in WAL mode, at the latest schema version', async () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteStore({ path });
    const session = await first.createSession(sessionFixture('u', { state: { n: 1 } }));
    await first.close();
    const second = new SqliteStore({ path });
    expect(await second.getSession(session)).toEqual(session);
    await second.close();
    const raw = new DatabaseSync(path);
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: 3 });
    raw.close();
  });

  it('creates the folder of its default-style path', async () => {
    const store = new SqliteStore({ path: join(dir, 'nested', 'deeper', 'agentrpc.db') });
    await store.createSession(sessionFixture('u'));
    await store.close();
  });

  it('reports an unusable file as STORE_ERROR', async () => {
    // A path whose parent is a file cannot be opened.
    const file = join(dir, 'plain-file');
    new DatabaseSync(file).close();
    const broken = new SqliteStore({ path: join(file, 'x.db') });
    await expect(broken.getSession({ userId: 'u', sessionId: 's' })).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
  });
});
