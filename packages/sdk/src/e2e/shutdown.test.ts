import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@agentrpc/core/sqlite';
import type { RunEvent } from '@agentrpc/server';
import { createFakeOpenAI, type FakeOpenAI } from '@agentrpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../index.ts';
import { startServerProcess } from './server-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'agentrpc-shutdown-'));
let fake: FakeOpenAI;

beforeAll(async () => {
  // "short" answers in ~0.3 s, anything else takes ~3 s.
  fake = await createFakeOpenAI({
    fallback: (request) => {
      const last = JSON.stringify(request.body?.messages?.at(-1)?.content ?? '');
      return last.includes('short')
        ? { text: 'short answer', chunkSize: 1, chunkDelayMs: 25 }
        : { text: 'a very long answer '.repeat(8), chunkSize: 1, chunkDelayMs: 20 };
    },
  });
});
afterAll(() => fake.close());

describe('graceful shutdown of a real server process', () => {
  it('on SIGTERM lets short runs finish, ends the rest as SHUTDOWN, refuses new runs, leaves nothing running', async () => {
    const path = join(scratch, 'shutdown.db');
    const server = await startServerProcess({
      store: `sqlite:${path}`,
      upstream: fake.baseURL,
      env: { SHUTDOWN_GRACE_MS: '1000' },
    });
    const client = createClient({ url: server.url, apiKey: 'key-alice' });
    const short = await client.runs.start({ agentId: 'chat', input: 'short one' });
    const long = await client.runs.start({ agentId: 'chat', input: 'long one' });
    const longEvents: RunEvent[] = [];
    const following = (async () => {
      for await (const event of client.runs.events({ runId: long.runId })) longEvents.push(event);
    })().catch(() => undefined); // the connection goes down with the server
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopped = server.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(client.runs.start({ agentId: 'chat', input: 'too late' })).rejects.toBeDefined();
    await stopped;
    await following;

    const store = new SqliteStore({ path });
    const shortRun = await store.getRun({ userId: 'alice', runId: short.runId });
    const longRun = await store.getRun({ userId: 'alice', runId: long.runId });
    expect(shortRun).toMatchObject({ status: 'completed', content: 'short answer' });
    expect(longRun).toMatchObject({ status: 'error', error: { code: 'SHUTDOWN' } });
    expect(await store.listUnfinishedRuns()).toEqual([]);
    // The event log of the cut-off run ends with its run.error, nothing missing before it.
    const logged = await store.readEvents({ userId: 'alice', runId: long.runId, limit: 10_000 });
    expect(logged.map((e) => e.seq)).toEqual(logged.map((_, i) => i + 1));
    expect(logged.at(-1)).toMatchObject({ type: 'run.error', code: 'SHUTDOWN' });
    await store.close();
  }, 30_000);
});
