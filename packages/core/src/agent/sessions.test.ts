import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AgentRpcError } from '../errors.ts';
import { DemoModel } from '../model/demo-model.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import { sessionLeaseKey } from '../session/session-lease.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { Agent } from './agent.ts';

const fake = useFakeOpenAI();

const model = () =>
  new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });

describe('sessions', () => {
  it('replays the last numHistoryRuns completed runs as history', async () => {
    const agent = new Agent({ id: 'chat', model: model(), instructions: 'sys', numHistoryRuns: 2 });
    fake.enqueue({ text: 'A1' }, { text: 'A2' }, { text: 'A3' }, { text: 'A4' });
    const first = await agent.run('Q1', { userId: 'u' });
    const sessionId = first.sessionId;
    await agent.run('Q2', { userId: 'u', sessionId });
    await agent.run('Q3', { userId: 'u', sessionId });
    await agent.run('Q4', { userId: 'u', sessionId });
    const sent = fake
      .completionRequests()
      .at(-1)
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toEqual(['sys', 'Q2', 'A2', 'Q3', 'A3', 'Q4']);
    const session = await agent.store.getSession({ userId: 'u', sessionId });
    expect(session).toMatchObject({ runCount: 4, name: 'Q1', agentId: 'chat' });
  });

  it('continues a session after an empty reply, replaying it as "" rather than null', async () => {
    const agent = new Agent({ id: 'chat', model: model() });
    fake.enqueue({ text: '' }, { text: 'A2' });
    const first = await agent.run('Q1');
    expect(first.messages.at(-1)).toEqual({ role: 'assistant', content: '' });
    const second = await agent.run('Q2', { sessionId: first.sessionId });
    expect(second.content).toBe('A2');
    const replayed = fake.completionRequests().at(-1)?.body.messages as { content: unknown }[];
    expect(replayed.map((m) => m.content)).toEqual(['Q1', '', 'Q2']);
  });

  it('leaves failed runs out of the history', async () => {
    const agent = new Agent({ id: 'chat', model: model() });
    fake.enqueue({ text: 'A1' }, { error: { status: 400, message: 'bad' } }, { text: 'A3' });
    const first = await agent.run('Q1');
    await agent.run('Q2', { sessionId: first.sessionId }).catch(() => undefined);
    await agent.run('Q3', { sessionId: first.sessionId });
    const sent = fake
      .completionRequests()
      .at(-1)
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toEqual(['Q1', 'A1', 'Q3']);
  });

  it("keeps two users' sessions apart: the same ids name two sessions and two runs", async () => {
    const store = new MemoryStore();
    const agent = new Agent({ id: 'chat', model: model(), store });
    fake.enqueue({ text: 'secret answer' }, { text: 'bob answer' });
    const alice = await agent.run('my secret is 42', { userId: 'alice', runId: 'r1' });
    const bob = await agent.run('what is the secret?', {
      userId: 'bob',
      sessionId: alice.sessionId,
      runId: 'r1',
    });
    expect(bob.sessionId).toBe(alice.sessionId);
    // Bob's run saw none of Alice's history.
    const sent = fake.completionRequests().at(-1)?.body.messages as { content: string }[];
    expect(sent.map((m) => m.content)).toEqual(['what is the secret?']);
    expect((await store.getRun({ userId: 'bob', runId: 'r1' }))?.content).toBe('bob answer');
    expect((await store.getRun({ userId: 'alice', runId: 'r1' }))?.content).toBe('secret answer');
    expect((await store.listSessions({ userId: 'bob' })).items).toHaveLength(1);
    expect((await store.listSessions({ userId: 'alice' })).items).toHaveLength(1);
  });

  it('refuses a run id the user has used, and keeps nothing of the attempt', async () => {
    const store = new MemoryStore();
    const agent = new Agent({ id: 'chat', model: model(), store });
    fake.enqueue({ text: 'first' });
    const first = await agent.run('one', { userId: 'u', runId: 'taken' });
    const requests = fake.completionRequests().length;
    await expect(
      agent.run('two', { userId: 'u', runId: 'taken', sessionId: 'fresh' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    // The session made for the refused run is gone; the first run and its session are not.
    expect(await store.getSession({ userId: 'u', sessionId: 'fresh' })).toBeNull();
    // Likewise for a session made under an id of the agent's own, sent with the record at once.
    await expect(agent.run('two', { userId: 'u', runId: 'taken' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const sessions = (await store.listSessions({ userId: 'u' })).items;
    expect(sessions.map((session) => session.sessionId)).toEqual([first.sessionId]);
    await expect(
      agent.run('three', { userId: 'u', runId: 'taken', sessionId: first.sessionId }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const kept = await store.getSession({ userId: 'u', sessionId: first.sessionId });
    expect(kept?.runCount).toBe(1);
    expect((await store.getRun({ userId: 'u', runId: 'taken' }))?.content).toBe('first');
    expect(fake.completionRequests()).toHaveLength(requests);
    // The session is free again: its lease went with the refused run.
    fake.enqueue({ text: 'next' });
    const next = await agent.run('four', { userId: 'u', sessionId: first.sessionId });
    expect(next.content).toBe('next');
  });

  it('reports a session it could not take back, and still refuses the run id', async () => {
    // A store that can no longer delete: the refused run's session stays, and says so.
    class UndeletingStore extends MemoryStore {
      override deleteSession(): Promise<boolean> {
        return Promise.reject(new AgentRpcError('STORE_ERROR', 'the disk is full'));
      }
    }
    const store = new UndeletingStore();
    const agent = new Agent({ id: 'chat', model: model(), store });
    fake.enqueue({ text: 'first' });
    await agent.run('one', { userId: 'u', runId: 'taken' });
    const reported = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await expect(
        agent.run('two', { userId: 'u', runId: 'taken', sessionId: 'fresh' }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(reported).toHaveBeenCalledWith(
        'agentrpc:',
        expect.objectContaining({ code: 'STORE_ERROR', message: 'the disk is full' }),
      );
      expect(await store.getSession({ userId: 'u', sessionId: 'fresh' })).not.toBeNull();
    } finally {
      reported.mockRestore();
    }
  });

  it('a second concurrent run on one session gets CONFLICT, or waits when asked', async () => {
    const agent = new Agent({ id: 'chat', model: model() });
    fake.enqueue({ text: 'A1' });
    const first = await agent.run('Q1');
    fake.enqueue({ text: 'slow answer', chunkSize: 1, chunkDelayMs: 10 }, { text: 'after' });
    const slow = agent.run('Q2', { sessionId: first.sessionId });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(agent.run('Q3', { sessionId: first.sessionId })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const waited = agent.run('Q4', {
      sessionId: first.sessionId,
      waitForSession: { timeoutMs: 5000 },
    });
    const [a, b] = await Promise.all([slow, waited]);
    expect([a.content, b.content]).toEqual(['slow answer', 'after']);
    // Q4 ran after Q2 finished, so it saw Q2 in its history.
    const history = fake
      .completionRequests()
      .at(-1)
      ?.body.messages.map((m: { content: string }) => m.content);
    expect(history).toEqual(['Q1', 'A1', 'Q2', 'slow answer', 'Q4']);
  });

  it('a run that loses its session lease to another process stops with CONFLICT', async () => {
    const store = new MemoryStore();
    const agent = new Agent({ id: 'chat', model: model(), store, sessionLeaseMs: 90 });
    fake.enqueue({ text: 'x'.repeat(60), chunkSize: 1, chunkDelayMs: 10 });
    const run = agent.run('long', { sessionId: 'contested' });
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Another instance takes the session over, as if this one had stalled past its lease.
    const held = (await store.listRuns({ userId: 'anonymous', sessionId: 'contested' }))[0];
    await store.releaseLease({
      key: sessionLeaseKey('anonymous', 'contested'),
      owner: held?.runId ?? '',
    });
    await store.acquireLease({
      key: sessionLeaseKey('anonymous', 'contested'),
      owner: 'other',
      ttlMs: 10_000,
    });
    await expect(run).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('the next run on a session can start as soon as the previous one resolved', async () => {
    // An in-process model answers at once, so any lag in freeing the session would show.
    const agent = new Agent({ id: 'chat', model: new DemoModel({ chunkDelayMs: 0 }) });
    let sessionId: string | undefined;
    for (let i = 0; i < 5; i++) {
      const out = await agent.run(`Q${i}`, sessionId ? { sessionId } : {});
      sessionId = out.sessionId;
    }
    expect(
      (await agent.store.getSession({ userId: 'anonymous', sessionId: sessionId ?? '' }))?.runCount,
    ).toBe(5);
  });

  it('adds up tokens and cost per session, counting a paused and continued run once', async () => {
    const confirm = defineTool({
      name: 'confirm',
      description: 'needs a yes',
      parameters: z.object({}),
      requiresConfirmation: true,
      execute: () => 'done',
    });
    const agent = new Agent({ id: 'chat', model: model(), tools: [confirm] });
    const usage = { promptTokens: 100, completionTokens: 50 };
    fake.enqueue(
      { text: 'first', usage },
      { toolCalls: [{ id: 'c', name: 'confirm', arguments: {} }], usage },
      { text: 'after', usage },
    );
    const first = await agent.run('one', { userId: 'u' });
    const paused = await agent.run('two', { userId: 'u', sessionId: first.sessionId });
    await agent.continueRun(paused.runId, { approvals: { c: true } }, { userId: 'u' });
    const session = await agent.store.getSession({ userId: 'u', sessionId: first.sessionId });
    expect(session?.usage).toMatchObject({ inputTokens: 300, outputTokens: 150, totalTokens: 450 });
    expect(session?.usage?.costUsd).toBeCloseTo((300 * 0.15 + 150 * 0.6) / 1e6, 12);
  });

  it('a client-chosen session id starts a new session for that user', async () => {
    const agent = new Agent({ id: 'chat', model: model() });
    fake.enqueue({ text: 'hi' });
    const out = await agent.run('hello', {
      userId: 'u',
      sessionId: 'my-session',
      sessionName: 'Greeting',
    });
    expect(out.sessionId).toBe('my-session');
    expect(await agent.store.getSession({ userId: 'u', sessionId: 'my-session' })).toMatchObject({
      name: 'Greeting',
    });
  });

  it('rejects empty input before doing anything', async () => {
    const agent = new Agent({ id: 'chat', model: model() });
    await expect(agent.run([])).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
