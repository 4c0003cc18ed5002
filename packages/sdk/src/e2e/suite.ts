// The end-to-end suite, run once over SSE and once over WebSocket.
import type { RunEvent } from '@agentrpc/server';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentRpcClientError } from '../index.ts';
import { collect, contentOf } from './events.ts';
import { type Harness, jwtSecret, startHarness } from './harness.ts';

function expectWellFormed(events: RunEvent[], firstSeq = 1) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + firstSeq));
  expect(
    events.filter((e) =>
      ['run.completed', 'run.cancelled', 'run.error', 'run.paused'].includes(e.type),
    ),
  ).toHaveLength(1);
}

async function failure(promise: Promise<unknown>): Promise<AgentRpcClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentRpcClientError);
  return error as AgentRpcClientError;
}

export function e2eSuite(transport: 'sse' | 'ws') {
  describe(`server + SDK over ${transport}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(transport);
    });
    afterAll(() => h.close());
    beforeEach(() => h.fake.reset());

    it('streams a text run and resolves client.run to its output', async () => {
      h.fake.enqueue({ text: 'Hello over the wire', chunkSize: 4 });
      const events = await collect(h.alice.runs.stream({ agentId: 'weather', input: 'hi' }));
      expectWellFormed(events);
      expect(contentOf(events)).toBe('Hello over the wire');
      h.fake.enqueue({ text: 'second' });
      const out = await h.alice.run({ agentId: 'weather', input: 'again' });
      expect(out).toMatchObject({ status: 'completed', content: 'second', userId: 'alice' });
      expect(out.createdAt).toBeTypeOf('number');
    });

    it('streams tool calls and structured output', async () => {
      h.fake.enqueue(
        {
          toolCalls: [{ id: 't1', name: 'get_weather', arguments: { city: 'Oslo' } }],
          chunkSize: 3,
        },
        { text: 'Oslo: 21' },
      );
      const events = await collect(
        h.alice.runs.stream({ agentId: 'weather', input: 'weather in Oslo?' }),
      );
      expect(events.map((e) => e.type).filter((t) => t.startsWith('tool.'))).toEqual([
        'tool.started',
        'tool.completed',
      ]);
      h.fake.enqueue({ json: { city: 'Oslo', tempC: 21 } });
      const out = await h.alice.run({ agentId: 'extract', input: 'Oslo is 21 degrees' });
      expect(out.parsed).toEqual({ city: 'Oslo', tempC: 21 });
    });

    it('resumes after the connection drops mid-stream: no event lost or repeated', async () => {
      h.fake.enqueue({
        text: 'abcdefghijklmnopqrstuvwxyz'.repeat(4),
        chunkSize: 1,
        chunkDelayMs: 15,
      });
      let dropped = false;
      const events = await collect(
        h.alice.runs.stream({ agentId: 'weather', input: 'long one' }),
        (_, all) => {
          if (!dropped && all.length === 20) {
            dropped = true;
            h.proxy.dropConnections();
          }
        },
      );
      expect(dropped).toBe(true);
      expectWellFormed(events);
      expect(contentOf(events)).toBe('abcdefghijklmnopqrstuvwxyz'.repeat(4));
      expect(h.fake.completionRequests()).toHaveLength(1); // one run, not two
    });

    it('a late subscriber replays a finished run, and resumes after a given event', async () => {
      h.fake.enqueue({ text: 'finished already', chunkSize: 5 });
      const { runId } = await h.alice.runs.start({ agentId: 'weather', input: 'go' });
      await expect.poll(async () => (await h.alice.runs.get({ runId })).status).toBe('completed');
      const all = await collect(h.alice.runs.events({ runId }));
      expectWellFormed(all);
      expect(all.at(-1)?.type).toBe('run.completed');
      const rest = await collect(h.alice.runs.events({ runId }, { lastEventId: `${runId}:2` }));
      expect(rest.map((e) => e.seq)).toEqual(all.slice(2).map((e) => e.seq));
    });

    it('cancels a run', async () => {
      h.fake.enqueue({ text: 'x'.repeat(300), chunkSize: 1, chunkDelayMs: 10 });
      const events = await collect(
        h.alice.runs.stream({ agentId: 'weather', input: 'slow' }),
        (e, all) => {
          if (all.length === 5) void h.alice.runs.cancel({ runId: e.runId });
        },
      );
      expect(events.at(-1)?.type).toBe('run.cancelled');
      expectWellFormed(events);
    });

    it('stops a run whose session is deleted while it runs', async () => {
      h.fake.enqueue({ text: 'x'.repeat(300), chunkSize: 1, chunkDelayMs: 10 });
      const events = await collect(
        h.alice.runs.stream({ agentId: 'weather', input: 'slow' }),
        (_event, all) => {
          if (all.length === 5 && 'sessionId' in all[0]!) {
            void h.alice.sessions.delete({ sessionId: all[0].sessionId as string });
          }
        },
      );
      // Its record is gone: the run stops (at the event log's next write, which finds the run
      // gone, or the server's cancel check, a second) rather than streaming all 300 characters,
      // and tells the client it could not be saved.
      expect(contentOf(events).length).toBeLessThan(300);
      expect(events.at(-1)).toMatchObject({
        type: 'run.error',
        code: 'NOT_FOUND',
        message: expect.stringContaining('could not be saved'),
      });
      expectWellFormed(events);
    });

    it('pauses for confirmation and continues over the wire', async () => {
      h.fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 5 } }] });
      const first = await collect(h.alice.runs.stream({ agentId: 'weather', input: 'refund 5' }));
      const paused = first.at(-1);
      expect(paused?.type).toBe('run.paused');
      const runId = paused?.runId ?? '';
      h.fake.enqueue({ text: 'Refunded.' });
      await h.alice.runs.continue({ runId, approvals: { r1: true } });
      const rest = await collect(
        h.alice.runs.events({ runId }, { lastEventId: `${runId}:${paused?.seq}` }),
      );
      expect(rest[0]?.type).toBe('run.continued');
      expect(rest.at(-1)).toMatchObject({
        type: 'run.completed',
        output: { content: 'Refunded.' },
      });
      expectWellFormed(rest, (paused?.seq ?? 0) + 1);
    });

    it('ends with a run.error event when the provider fails', async () => {
      h.fake.enqueue({ error: { status: 500, message: 'upstream down' } });
      const events = await collect(h.alice.runs.stream({ agentId: 'weather', input: 'hi' }));
      expect(events.at(-1)).toMatchObject({ type: 'run.error', code: 'PROVIDER_ERROR' });
      expectWellFormed(events);
      h.fake.enqueue({ error: { status: 500, message: 'down' } });
      const error = await failure(h.alice.run({ agentId: 'weather', input: 'x' }));
      expect(error.code).toBe('PROVIDER_ERROR');
    });

    it('refuses missing, unknown, expired and wrongly signed credentials', async () => {
      const sign = (secret: string, expiresIn: string) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('carol')
          .setIssuer('tests')
          .setAudience('agentrpc')
          .setIssuedAt()
          .setExpirationTime(expiresIn)
          .sign(new TextEncoder().encode(secret));
      const good = await sign(jwtSecret, '1h');
      const expired = await sign(jwtSecret, '-1m');
      const forged = await sign('another-secret-that-is-also-long-enough', '1h');
      expect(await h.client({ getToken: () => good }).agents.list()).toHaveLength(2);
      for (const options of [
        {},
        { apiKey: 'wrong-key' },
        { getToken: () => expired },
        { getToken: () => forged },
      ]) {
        const error = await failure(h.client(options).agents.list());
        expect(error.code).toBe('UNAUTHORIZED');
      }
      const stream = h
        .client({ apiKey: 'wrong-key' })
        .runs.stream({ agentId: 'weather', input: 'hi' });
      expect((await failure(collect(stream))).code).toBe('UNAUTHORIZED');
    });

    it("answers NOT_FOUND for another user's session, run and memory ids", async () => {
      h.fake.enqueue({ text: 'alice only' });
      const out = await h.alice.run({ agentId: 'weather', input: 'my secret' });
      const memory = await h.alice.memories.create({ memory: 'likes tea' });
      const { runId, sessionId } = out;
      const attempts: (() => Promise<unknown>)[] = [
        () => h.bob.runs.get({ runId }),
        () => h.bob.runs.list({ sessionId }),
        () => h.bob.runs.cancel({ runId }),
        () => h.bob.runs.continue({ runId, approvals: {} }),
        () => collect(h.bob.runs.events({ runId })),
        () => h.bob.sessions.get({ sessionId }),
        () => h.bob.sessions.messages({ sessionId }),
        () => h.bob.sessions.rename({ sessionId, name: 'mine now' }),
        () => h.bob.sessions.updateState({ sessionId, state: { x: 1 } }),
        () => h.bob.sessions.delete({ sessionId }),
        () => h.bob.memories.update({ memoryId: memory.memoryId, memory: 'hacked' }),
        () => h.bob.memories.delete({ memoryId: memory.memoryId }),
      ];
      for (const attempt of attempts) expect((await failure(attempt())).code).toBe('NOT_FOUND');
      expect((await h.bob.sessions.list()).items).toEqual([]);
      expect(await h.bob.memories.list()).toEqual([]);
      // Ids are per user: Bob running in "Alice's" session id gets a session of his own.
      h.fake.enqueue({ text: 'bob only' });
      await h.bob.run({ agentId: 'weather', input: 'continue alice', sessionId });
      const sent = h.fake.completionRequests().at(-1)?.body.messages as { content: string }[];
      expect(sent.map((m) => m.content)).toEqual(['continue alice']);
      expect((await h.bob.sessions.messages({ sessionId })).map((m) => m.content)).toEqual([
        'continue alice',
        'bob only',
      ]);
      expect((await h.alice.sessions.get({ sessionId })).name).toBe('my secret');
      expect((await h.alice.sessions.get({ sessionId })).runCount).toBe(1);
      expect((await h.alice.memories.list()).map((m) => m.memory)).toEqual(['likes tea']);
    });

    it("lets an admin list another user's sessions, and nobody else", async () => {
      h.fake.enqueue({ text: 'hello' });
      const out = await h.alice.run({ agentId: 'weather', input: 'for the admin to see' });
      const admin = h.client({ apiKey: 'key-admin' });
      const listed = await admin.sessions.list({ userId: 'alice', limit: 100 });
      expect(listed.items.map((s) => s.sessionId)).toContain(out.sessionId);
      expect((await failure(h.bob.sessions.list({ userId: 'alice' }))).code).toBe('FORBIDDEN');
      expect((await failure(h.bob.memories.list({ userId: 'alice' }))).code).toBe('FORBIDDEN');
    });

    it('stops a subscription on AbortSignal and on break; the run goes on', async () => {
      h.fake.enqueue({ text: 'y'.repeat(120), chunkSize: 1, chunkDelayMs: 5 });
      const controller = new AbortController();
      const seen = await collect(
        h.alice.runs.stream({ agentId: 'weather', input: 'long' }, { signal: controller.signal }),
        (_, all) => {
          if (all.length === 4) controller.abort();
        },
      );
      expect(seen).toHaveLength(4);
      const runId = seen[0]?.runId ?? '';
      // The run was not cancelled by the reader leaving: it completes, and can be followed again.
      const rest = await collect(h.alice.runs.events({ runId }, { lastEventId: `${runId}:4` }));
      expect(rest.at(-1)?.type).toBe('run.completed');
      expect(rest[0]?.seq).toBe(5);
    });

    it('answers BAD_REQUEST with a useful message for invalid input', async () => {
      const cases: [() => Promise<unknown>, RegExp][] = [
        [() => h.alice.runs.start({ agentId: 'weather', input: '' }), /input is empty/],
        [() => h.alice.runs.get({ runId: 'has spaces!' }), /letters, digits/],
        [() => h.alice.sessions.rename({ sessionId: 's', name: '' }), /name/i],
        [
          () => h.alice.runs.start({ agentId: 'weather', input: 'x'.repeat(100_001) }),
          /limit is 100000/,
        ],
        // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
        [() => h.alice.runs.start({ agentId: 'weather' } as any), /input/],
      ];
      for (const [attempt, message] of cases) {
        const error = await failure(attempt());
        expect(error.code).toBe('BAD_REQUEST');
        expect(error.message).toMatch(message);
      }
      expect((await failure(h.alice.runs.start({ agentId: 'nope', input: 'hi' }))).code).toBe(
        'NOT_FOUND',
      );
    });

    it('lists, renames, updates and deletes sessions; lists runs with tool calls', async () => {
      h.fake.enqueue(
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] },
        { text: 'Rome: 21' },
      );
      const out = await h.alice.run({
        agentId: 'weather',
        input: 'Rome weather',
        sessionState: { unit: 'C' },
      });
      const { sessionId } = out;
      expect(
        (await h.alice.sessions.list({ agentId: 'weather' })).items.map((s) => s.sessionId),
      ).toContain(sessionId);
      await h.alice.sessions.rename({ sessionId, name: 'Trip' });
      const updated = await h.alice.sessions.updateState({ sessionId, state: { city: 'Rome' } });
      expect(updated.state).toEqual({ unit: 'C', city: 'Rome' });
      const runs = await h.alice.runs.list({ sessionId });
      expect(runs[0]?.toolCalls[0]).toMatchObject({ name: 'get_weather', status: 'completed' });
      const messages = await h.alice.sessions.messages({ sessionId });
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
      expect(await h.alice.sessions.delete({ sessionId })).toEqual({ deleted: true });
      expect((await failure(h.alice.runs.get({ runId: out.runId }))).code).toBe('NOT_FOUND');
    });

    it('ends a stream still open with CLIENT_CLOSED_REQUEST when the client closes', async () => {
      h.fake.enqueue({ text: 'slow answer that takes a while', chunkSize: 2, chunkDelayMs: 30 });
      const client = h.client({ apiKey: 'key-alice' });
      const stream = client.runs.stream({ agentId: 'weather', input: 'slow' });
      expect((await stream.next()).value?.type).toBe('run.started');
      client.close();
      const error = await failure(
        (async () => {
          for await (const _ of stream);
        })(),
      );
      expect(error.code).toBe('CLIENT_CLOSED_REQUEST');
      await expect(client.agents.list()).resolves.toBeDefined(); // HTTP calls still work
    });
  });
}
