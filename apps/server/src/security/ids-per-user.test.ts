// Ids a client chooses never let one user learn about or block another: ids are
// per user, so bob's `my-session` and alice's `my-session` are two sessions, on
// every store; and a start that fails leaves nothing behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type Store } from '@agentrpc/core';
import { SqliteStore } from '@agentrpc/core/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { call, keys, type SecurityServer, startSecurityServer } from './security-server.ts';

let s: SecurityServer | undefined;
afterEach(() => s?.close());

type Result<T> = { result?: { data: { json: T } }; error?: { json: { data: { code: string } } } };

async function json<T>(res: Response): Promise<Result<T>> {
  return (await res.json()) as Result<T>;
}

const stores: [string, () => Store][] = [
  ['MemoryStore', () => new MemoryStore()],
  [
    'SqliteStore',
    () => new SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'arpc-ids-')), 'db.sqlite') }),
  ],
];

describe.each(stores)('ids per user on %s', (_name, createStore) => {
  it('gives two users the same session and run ids without either seeing the other', async () => {
    s = await startSecurityServer({ store: createStore() });
    const url = s.url;
    const start = (key: string, input: string) =>
      call(url, {
        path: 'runs.start',
        key,
        input: { agentId: 'slow', input, sessionId: 'my-session', runId: 'my-run' },
      });
    const alice = await json<{ runId: string; sessionId: string }>(await start(keys.alice, 'A'));
    const bob = await json<{ runId: string; sessionId: string }>(await start(keys.bob, 'B'));
    expect(alice.result?.data.json).toEqual({ runId: 'my-run', sessionId: 'my-session' });
    expect(bob.result?.data.json).toEqual({ runId: 'my-run', sessionId: 'my-session' });
    // Bob cancelling his run leaves Alice's, of the same id and live beside it, alone.
    await call(url, { path: 'runs.cancel', key: keys.bob, input: { runId: 'my-run' } });
    // Alice's run streams for a while yet; a loaded machine takes longer than the default second.
    await expect.poll(() => s?.server.services.runs.activeCount, { timeout: 5_000 }).toBe(0);
    const status = async (userId: string) =>
      (await s?.server.services.store.getRun({ userId, runId: 'my-run' }))?.status;
    expect(await status('bob')).toBe('cancelled');
    expect(await status('alice')).toBe('completed');
    const runOf = async (key: string) =>
      (
        await json<{ messages: { content: string }[] }>(
          await call(url, { path: 'runs.get', key, method: 'GET', input: { runId: 'my-run' } }),
        )
      ).result?.data.json.messages[0]?.content;
    expect(await runOf(keys.alice)).toBe('A');
    expect(await runOf(keys.bob)).toBe('B');
  });

  it('refuses a run id the user has used, and keeps nothing of the attempt', async () => {
    s = await startSecurityServer({ store: createStore() });
    const start = (sessionId: string) =>
      call(s?.url ?? '', {
        path: 'runs.start',
        key: keys.alice,
        input: { agentId: 'slow', input: 'hi', sessionId, runId: 'once' },
      });
    expect((await start('first')).status).toBe(200);
    const again = await json(await start('second'));
    expect(again.error?.json.data.code).toBe('CONFLICT');
    const session = await s.server.services.store.getSession({
      userId: 'alice',
      sessionId: 'second',
    });
    expect(session).toBeNull();
  });
});
