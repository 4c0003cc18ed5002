// A paused run continues once: a second continue, in the same batch or from
// another connection, gets CONFLICT, the tool runs once, and the event log
// holds exactly what happened, readable from the start to the final end.
import { Agent, defineTool, OpenAIChat } from '@agentrpc/core';
import { createFakeOpenAI, type FakeOpenAI } from '@agentrpc/testing';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  call,
  keys,
  rawSocket,
  type SecurityServer,
  startSecurityServer,
} from './security-server.ts';

let fake: FakeOpenAI;
let s: SecurityServer;
let refunds = 0;

beforeAll(async () => {
  fake = await createFakeOpenAI();
  const refund = defineTool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ amount: z.number() }),
    requiresConfirmation: true,
    execute: ({ amount }) => {
      refunds++;
      return { refunded: amount };
    },
  });
  const model = new OpenAIChat({
    id: 'gpt-4o-mini',
    apiKey: 'k',
    baseURL: fake.baseURL,
    maxRetries: 0,
  });
  s = await startSecurityServer({ agents: [new Agent({ id: 'shop', model, tools: [refund] })] });
});
afterAll(async () => {
  await s.close();
  await fake.close();
});

/** Starts a run that pauses on a refund; returns its id. */
async function pausedRun(): Promise<string> {
  fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 5 } }] });
  fake.enqueue({ text: 'Refunded.' });
  const res = await call(s.url, {
    path: 'runs.start',
    key: keys.alice,
    input: { agentId: 'shop', input: 'refund 5' },
  });
  const { runId } = ((await res.json()) as { result: { data: { json: { runId: string } } } }).result
    .data.json;
  await expect
    .poll(async () => (await s.server.services.store.getRun({ userId: 'alice', runId }))?.status)
    .toBe('paused');
  return runId;
}

async function finalEvents(runId: string) {
  await expect
    .poll(async () => (await s.server.services.store.getRun({ userId: 'alice', runId }))?.status)
    .toBe('completed');
  const res = await call(s.url, {
    path: 'runs.events',
    key: keys.alice,
    method: 'GET',
    input: { runId },
  });
  return (await res.text())
    .split('\n')
    .filter((line) => line.startsWith('data: {"json"'))
    .map(
      (line) => superjson.deserialize(JSON.parse(line.slice(6))) as { type: string; seq: number },
    );
}

describe('runs.continue', () => {
  it('takes effect once for two continues in one HTTP batch', async () => {
    refunds = 0;
    const runId = await pausedRun();
    const input = { json: { runId, approvals: { r1: true } } };
    const res = await fetch(`${s.url}/trpc/runs.continue,runs.continue?batch=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ 0: input, 1: input }),
    });
    const answers = (await res.json()) as { error?: { json: { data: { code: string } } } }[];
    const codes = answers.map((answer) => answer.error?.json.data.code ?? 'ok').sort();
    expect(codes).toEqual(['CONFLICT', 'ok']);
    const events = await finalEvents(runId);
    expect(refunds).toBe(1);
    expect(
      events.map((event) => event.type).filter((type) => type === 'run.continued'),
    ).toHaveLength(1);
    // From the start: everything through the final end, each seq once and in order.
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.some((event) => event.type === 'run.paused')).toBe(true);
  });

  it('takes effect once for continues from two WebSocket connections', async () => {
    refunds = 0;
    const runId = await pausedRun();
    const sockets = await Promise.all(
      [0, 1].map(() => rawSocket(s.url, { headers: { authorization: `Bearer ${keys.alice}` } })),
    );
    const message = JSON.stringify({
      id: 1,
      method: 'mutation',
      params: {
        path: 'runs.continue',
        input: superjson.serialize({ runId, approvals: { r1: true } }),
      },
    });
    for (const { ws } of sockets) ws.send(message);
    await expect.poll(() => sockets.every(({ received }) => received.length > 0)).toBe(true);
    const outcomes = sockets
      .map(({ received }) => JSON.parse(received[0] ?? '{}'))
      .map((reply) =>
        reply.error
          ? (superjson.deserialize(reply.error) as { data: { code: string } }).data.code
          : 'ok',
      )
      .sort();
    expect(outcomes).toEqual(['CONFLICT', 'ok']);
    const events = await finalEvents(runId);
    expect(refunds).toBe(1);
    expect(events.filter((event) => event.type === 'run.continued')).toHaveLength(1);
    for (const { ws } of sockets) ws.close();
  });
});
