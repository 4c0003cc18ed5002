import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
