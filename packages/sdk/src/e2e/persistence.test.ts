import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyMetrics } from '@agentrpc/core';
import { SqliteStore } from '@agentrpc/core/sqlite';
import type { RunEvent } from '@agentrpc/server';
import { createFakeOpenAI, type FakeOpenAI, type RecordedRequest } from '@agentrpc/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../index.ts';
import { collect, contentOf } from './events.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'agentrpc-persist-'));
const servers: ServerProcess[] = [];
let fake: FakeOpenAI;

/**
 * Answers `echo: <last user message>`; inputs containing "slow" stream slowly;
 * "refund" asks for the refund tool first, then says it is done.
 */
function echo(request: RecordedRequest) {
  const messages = (request.body?.messages ?? []) as { role: string; content: string }[];
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last.includes('refund')) {
    if (messages.at(-1)?.role === 'tool') return { text: 'Refunded.' };
    return { toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 5 } }] };
  }
  const slow = last.includes('slow');
  return { text: `echo: ${last}`, chunkSize: slow ? 1 : 6, chunkDelayMs: slow ? 25 : 1 };
}

beforeAll(async () => {
  fake = await createFakeOpenAI({ fallback: echo, maxRecorded: 10_000 });
});
afterAll(() => fake.close());
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop('SIGKILL');
});

async function serve(store: string) {
  const server = await startServerProcess({ store, upstream: fake.baseURL });
  servers.push(server);
  return server;
}

const client = (server: ServerProcess) => createClient({ url: server.url, apiKey: 'key-alice' });

describe('SQLite store across restarts', () => {
  it('a session continues after a restart with its history replayed', async () => {
    const store = `sqlite:${join(scratch, 'restart.db')}`;
    const first = await serve(store);
    const out = await client(first).run({ agentId: 'chat', input: 'remember the word kumquat' });
    await first.stop('SIGTERM');
    const second = await serve(store);
    fake.reset();
    const again = await client(second).run({
      agentId: 'chat',
      input: 'what was the word?',
      sessionId: out.sessionId,
    });
    expect(again.content).toBe('echo: what was the word?');
    const sent = fake
      .completionRequests()[0]
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toEqual([
      'remember the word kumquat',
      'echo: remember the word kumquat',
      'what was the word?',
    ]);
    const messages = await client(second).sessions.messages({ sessionId: out.sessionId });
    expect(messages).toHaveLength(4);
    expect((await client(second).sessions.get({ sessionId: out.sessionId })).runCount).toBe(2);
  });

  it('runs left running by a process that died are ended as INTERRUPTED on start', async () => {
    const path = join(scratch, 'crash.db');
    const direct = new SqliteStore({ path });
    const now = Date.now();
    const session = await direct.createSession({
      sessionId: 'crashed-session',
      userId: 'alice',
      agentId: 'chat',
      name: 'x',
      state: {},
      metadata: {},
      runCount: 0,
      createdAt: now,
      updatedAt: now,
    });
    await direct.appendRun({
      runId: 'crashed-run',
      sessionId: session.sessionId,
      userId: 'alice',
      agentId: 'chat',
      status: 'running',
      content: '',
      toolCalls: [],
      messages: [],
      model: 'm',
      metrics: emptyMetrics(),
      lastSeq: 1,
      createdAt: now,
      updatedAt: now,
    });
    await direct.appendEvents({ userId: 'alice', runId: 'crashed-run' }, [
      {
        type: 'run.started',
        runId: 'crashed-run',
        seq: 1,
        createdAt: now,
        sessionId: session.sessionId,
        userId: 'alice',
        agentId: 'chat',
        model: 'm',
      },
      { type: 'run.content', runId: 'crashed-run', seq: 2, createdAt: now, delta: 'half an ans' },
    ]);
    await direct.close();
    const server = await serve(`sqlite:${path}`);
    expect(server.output()).toMatch(/ended 1 run\(s\) left unfinished/);
    const run = await client(server).runs.get({ runId: 'crashed-run' });
    expect(run).toMatchObject({ status: 'error', error: { code: 'INTERRUPTED' } });
    const events = await collect(client(server).runs.events({ runId: 'crashed-run' }));
    expect(events.map((e) => e.type)).toEqual(['run.started', 'run.content', 'run.error']);
    expect(events.at(-1)).toMatchObject({ seq: 3, code: 'INTERRUPTED' });
  });
});

/** A run paused for approval on one server process, continued on a fresh one after it stopped. */
async function pausedAcrossRestart(store: string, stop: 'SIGTERM' | 'SIGKILL') {
  const first = await serve(store);
  const paused = await client(first).run({ agentId: 'shop', input: 'refund 5 please' });
  expect(paused.status).toBe('paused');
  await first.stop(stop);
  const second = await serve(store);
  const again = client(second);
  expect(await again.runs.get({ runId: paused.runId })).toMatchObject({ status: 'paused' });
  await again.runs.continue({ runId: paused.runId, approvals: { r1: true } });
  const events = await collect(again.runs.events({ runId: paused.runId }));
  const types = events.map((e) => e.type);
  expect(types[0]).toBe('run.started');
  expect(types.indexOf('run.continued')).toBe(types.indexOf('run.paused') + 1);
  expect(types.slice(types.indexOf('run.continued'))).toContain('tool.completed');
  expect(types.at(-1)).toBe('run.completed');
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}

describe('a paused run on SQLite', () => {
  it('survives a server restart and is continued after it', async () => {
    await pausedAcrossRestart(`sqlite:${join(scratch, 'paused.db')}`, 'SIGTERM');
  }, 30_000);
});

const mongoUrl = process.env.MONGODB_URL;
const describeMongo = describe.skipIf(!mongoUrl);

describeMongo(
  `two server processes on one MongoDB (FerretDB)${mongoUrl ? '' : ': skipped, set MONGODB_URL or install Go'}`,
  () => {
    const db = () =>
      `${mongoUrl?.replace(/\/$/, '')}/agentrpc_e2e_${Math.random().toString(36).slice(2, 8)}`;

    it('50 concurrent runs on one session spread over both lose nothing and never interleave', async () => {
      const store = db();
      const [a, b] = await Promise.all([serve(store), serve(store)]);
      const clients = [client(a as ServerProcess), client(b as ServerProcess)];
      const first = await clients[0]?.run({ agentId: 'chat', input: 'q0' });
      const sessionId = first?.sessionId ?? '';
      fake.reset();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          clients[i % 2]?.run({
            agentId: 'chat',
            input: `q${i + 1}`,
            sessionId,
            waitForSession: true,
          }),
        ),
      );
      expect(results.every((r) => r?.status === 'completed')).toBe(true);
      // Each run saw the whole history before it and no other run's half: 51 distinct history lengths.
      const historyLengths = fake
        .completionRequests()
        .map((r) => r.body.messages.length)
        .sort((x, y) => x - y);
      expect(historyLengths).toEqual(Array.from({ length: 50 }, (_, i) => 3 + 2 * i));
      const session = await clients[1]?.sessions.get({ sessionId });
      expect(session?.runCount).toBe(51);
      const messages = await clients[0]?.sessions.messages({ sessionId, limitRuns: 1000 });
      expect(messages).toHaveLength(102);
      // Runs did not overlap in time: each started after the previous one ended.
      const runs = (await clients[0]?.runs.list({ sessionId, limit: 100 })) ?? [];
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i]?.createdAt).toBeGreaterThanOrEqual(runs[i - 1]?.updatedAt ?? 0);
      }
    }, 90_000);

    it('a paused run survives a crash and is continued by a new process', async () => {
      await pausedAcrossRestart(db(), 'SIGKILL');
    }, 30_000);

    it('a run started on one instance is followed from the other', async () => {
      const store = db();
      const [a, b] = await Promise.all([serve(store), serve(store)]);
      const { runId } = await client(a as ServerProcess).runs.start({
        agentId: 'chat',
        input: 'slow and steady',
      });
      const started = performance.now();
      const events = await collect(client(b as ServerProcess).runs.events({ runId }));
      expect(events.at(-1)?.type).toBe('run.completed');
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const text = contentOf(events);
      expect(text).toBe('echo: slow and steady');
      expect(performance.now() - started).toBeGreaterThan(200);
    }, 30_000);

    it('a run started on one instance is cancelled from the other', async () => {
      const store = db();
      const [a, b] = await Promise.all([serve(store), serve(store)]);
      const { runId } = await client(a as ServerProcess).runs.start({
        agentId: 'chat',
        input: `slow ${'and steady '.repeat(40)}`, // about 10 s of streaming
      });
      const other = client(b as ServerProcess);
      const asked = performance.now();
      expect(await other.runs.cancel({ runId })).toEqual({ status: 'cancelling' });
      const events = await collect(other.runs.events({ runId }));
      expect(events.at(-1)?.type).toBe('run.cancelled');
      expect(performance.now() - asked).toBeLessThan(5_000);
      expect(await client(a as ServerProcess).runs.get({ runId })).toMatchObject({
        status: 'cancelled',
      });
      // A run that has ended is left as it ended.
      expect(await other.runs.cancel({ runId })).toEqual({ status: 'cancelled' });
    }, 30_000);

    it('a database that stops mid-run gives a clear error and loses no event silently', async () => {
      // A FerretDB of its own, so stopping it leaves the others alone.
      const ferret = fileURLToPath(new URL('../../../../scripts/ferretdb.sh', import.meta.url));
      const port = 28_000 + Math.floor(Math.random() * 1000);
      const url = execFileSync(ferret, ['start', String(port)], { encoding: 'utf8' }).trim();
      const pidFile = fileURLToPath(
        new URL(`../../../../.tools/ferretdb/ferretdb-${port}.pid`, import.meta.url),
      );
      const server = await serve(`${url}agentrpc_fail`);
      const events: RunEvent[] = [];
      for await (const event of client(server).runs.stream({
        agentId: 'chat',
        input: 'slow answer while the database dies',
      })) {
        events.push(event);
        if (events.length === 8) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      }
      const last = events.at(-1);
      expect(last).toMatchObject({ type: 'run.error', code: 'STORE_ERROR' });
      // Either the run finished and could not be saved, or it lost its session lease
      // (which needs the database) and stopped early. The client is told so with an
      // error id; the server's log holds the details.
      expect(last?.type === 'run.error' && last.message).toMatch(
        new RegExp(`could not save the run.*error id ${last?.runId}:${last?.seq}`),
      );
      // Every event reached the live reader, in order, without gaps.
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const text = contentOf(events);
      expect('echo: slow answer while the database dies'.startsWith(text)).toBe(true);
      expect(text.length).toBeGreaterThan(0);
      // And the server said so in its log instead of dropping the writes quietly.
      expect(server.output()).toMatch(/MongoDB failed to/);
      // The killed FerretDB's files are throwaway.
      const files = fileURLToPath(new URL('../../../../.tools/ferretdb/', import.meta.url));
      for (const leftover of [`data-${port}`, `ferretdb-${port}.pid`, `ferretdb-${port}.log`]) {
        rmSync(`${files}${leftover}`, { recursive: true, force: true });
      }
    }, 60_000);
  },
);
