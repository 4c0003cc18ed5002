// Status and event log always agree: a run whose session state the store
// cannot save ends as `error` in its record and in its terminal event, and the
// client is told so with an error id while the details stay in the log.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, defineTool, OpenAIChat } from '@agentrpc/core';
import { SqliteStore } from '@agentrpc/core/sqlite';
import { createFakeOpenAI, type FakeOpenAI } from '@agentrpc/testing';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { call, keys, type SecurityServer, startSecurityServer } from './security-server.ts';

let fake: FakeOpenAI;
let s: SecurityServer;

beforeAll(async () => {
  fake = await createFakeOpenAI();
  // A BigInt is not JSON: SQLite cannot take a state holding one.
  const remember = defineTool({
    name: 'remember',
    description: 'Keeps a number in the session',
    parameters: z.object({}),
    execute: (_args, ctx) => {
      ctx.state.big = 10n;
      return 'kept';
    },
  });
  const model = new OpenAIChat({
    id: 'gpt-4o-mini',
    apiKey: 'k',
    baseURL: fake.baseURL,
    maxRetries: 0,
  });
  s = await startSecurityServer({
    store: new SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'arpc-end-')), 'db.sqlite') }),
    agents: [new Agent({ id: 'keeper', model, tools: [remember] })],
  });
});
afterAll(async () => {
  await s.close();
  await fake.close();
});

describe('a run whose state the store cannot save', () => {
  it('ends as error in its record and its event, with an error id for the client', async () => {
    fake.enqueue({ toolCalls: [{ name: 'remember', arguments: {} }] }, { text: 'done' });
    const res = await call(s.url, {
      path: 'runs.stream',
      key: keys.alice,
      method: 'GET',
      input: { agentId: 'keeper', input: 'keep it' },
    });
    const events = (await res.text())
      .split('\n')
      .filter((line) => line.startsWith('data: {"json"'))
      .map((line) => superjson.deserialize(JSON.parse(line.slice(6))) as Record<string, unknown>);
    const last = events.at(-1) as {
      type: string;
      code: string;
      message: string;
      runId: string;
      seq: number;
    };
    expect(last).toMatchObject({ type: 'run.error', code: 'STORE_ERROR' });
    expect(last.message).toContain(`error id ${last.runId}:${last.seq}`);
    const record = await s.server.services.store.getRun({ userId: 'alice', runId: last.runId });
    expect(record).toMatchObject({ status: 'error', error: { code: 'STORE_ERROR' } });
    const logged = s.logs.find((line) => line.errorId === `${last.runId}:${last.seq}`);
    expect(logged?.reason).toMatch(/could not be saved/);
  });
});
