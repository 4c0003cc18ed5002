import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OpenAIChat } from '../model/openai-chat.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collectEvents, useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { Agent } from './agent.ts';

const fake = useFakeOpenAI();

function setup(store?: MemoryStore) {
  const refunds: number[] = [];
  const refund = defineTool({
    name: 'refund',
    description: 'Refunds an order',
    parameters: z.object({ amount: z.number() }),
    requiresConfirmation: true,
    execute: ({ amount }) => {
      refunds.push(amount);
      return { refunded: amount };
    },
  });
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks up an order',
    parameters: z.object({ id: z.string() }),
    execute: ({ id }) => ({ id, total: 30 }),
  });
  const model = new OpenAIChat({
    id: 'gpt-4o-mini',
    apiKey: 'k',
    baseURL: fake.baseURL,
    maxRetries: 0,
  });
  const options = { id: 'support', model, tools: [refund, lookup], ...(store ? { store } : {}) };
  return { refunds, agent: new Agent(options) };
}

const collect = collectEvents;

describe('human in the loop', () => {
  it('pauses before a call that needs confirmation, then runs it once approved', async () => {
    const { agent, refunds } = setup();
    fake.enqueue({
      toolCalls: [
        { id: 'r1', name: 'refund', arguments: { amount: 30 } },
        { id: 'l1', name: 'lookup', arguments: { id: 'A7' } },
      ],
    });
    const first = await collect(agent.stream('refund order A7', { userId: 'u' }));
    const paused = first.at(-1);
    expect(paused).toMatchObject({
      type: 'run.paused',
      pendingToolCalls: [
        {
          id: 'r1',
          name: 'refund',
          args: { amount: 30 },
          status: 'pending',
          requiresConfirmation: true,
        },
        { id: 'l1', name: 'lookup', status: 'pending', requiresConfirmation: false },
      ],
    });
    expect(refunds).toEqual([]);
    const runId = paused?.runId ?? '';
    expect((await agent.store.getRun({ userId: 'u', runId }))?.status).toBe('paused');

    fake.enqueue({ text: 'Refunded 30.' });
    const second = await collect(
      agent.continueStream(runId, { approvals: { r1: true } }, { userId: 'u' }),
    );
    expect(second[0]).toMatchObject({ type: 'run.continued', seq: (paused?.seq ?? 0) + 1 });
    expect(second.map((e) => e.seq)).toEqual(second.map((_, i) => (paused?.seq ?? 0) + 1 + i));
    expect(refunds).toEqual([30]);
    const done = second.at(-1);
    expect(done?.type).toBe('run.completed');
    if (done?.type !== 'run.completed') return;
    expect(done.output.content).toBe('Refunded 30.');
    expect(done.output.toolCalls.map((c) => [c.id, c.status])).toEqual([
      ['r1', 'completed'],
      ['l1', 'completed'],
    ]);
    expect(fake.completionRequests()[1]?.body.messages.slice(-2)).toEqual([
      { role: 'tool', tool_call_id: 'r1', content: '{"refunded":30}' },
      { role: 'tool', tool_call_id: 'l1', content: '{"id":"A7","total":30}' },
    ]);
  });

  it('a rejected call is not run and the model is told why', async () => {
    const { agent, refunds } = setup();
    fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 999 } }] });
    const paused = await agent.run('refund everything', { userId: 'u' });
    expect(paused.status).toBe('paused');
    fake.enqueue({ text: 'I cannot refund that.' });
    const out = await agent.continueRun(
      paused.runId,
      { approvals: { r1: { approved: false, reason: 'too much' } } },
      { userId: 'u' },
    );
    expect(refunds).toEqual([]);
    expect(out.toolCalls[0]).toMatchObject({
      id: 'r1',
      status: 'rejected',
      error: 'The user rejected this call: too much',
    });
    expect(fake.completionRequests()[1]?.body.messages.at(-1).content).toContain('too much');
  });

  it('takes a result computed outside the run', async () => {
    const { agent, refunds } = setup();
    fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 5 } }] });
    const paused = await agent.run('refund 5', { userId: 'u' });
    fake.enqueue({ text: 'done by hand' });
    const out = await agent.continueRun(
      paused.runId,
      { toolResults: { r1: { refunded: 5, by: 'clerk' } } },
      { userId: 'u' },
    );
    expect(refunds).toEqual([]);
    expect(out.toolCalls[0]).toMatchObject({
      status: 'completed',
      result: { refunded: 5, by: 'clerk' },
    });
  });

  it('refuses bad continuations: undecided calls, unknown ids, other users, finished runs', async () => {
    const { agent } = setup();
    fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 5 } }] });
    const paused = await agent.run('refund 5', { userId: 'u' });
    await expect(agent.continueRun(paused.runId, {}, { userId: 'u' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('refund (r1)'),
    });
    await expect(
      agent.continueRun(paused.runId, { approvals: { zz: true } }, { userId: 'u' }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(
      agent.continueRun(paused.runId, { approvals: { r1: true } }, { userId: 'mallory' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fake.enqueue({ text: 'ok' });
    await agent.continueRun(paused.runId, { approvals: { r1: true } }, { userId: 'u' });
    await expect(
      agent.continueRun(paused.runId, { approvals: { r1: true } }, { userId: 'u' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('continues a run once when two agents built per request ask at the same time', async () => {
    // Built per request, as servers often do: two Agents of one id on one
    // store, in one process (one holder), must still let one continue through.
    const store = new MemoryStore();
    const first = setup(store);
    fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 7 } }] });
    const paused = await first.agent.run('refund 7', { userId: 'u', holder: 'here' });
    const second = new Agent({ ...first.agent.options });
    fake.enqueue({ text: 'refunded' });
    fake.enqueue({ text: 'refunded' });
    const decisions = { approvals: { r1: true } };
    const outcomes = await Promise.allSettled([
      first.agent.continueRun(paused.runId, decisions, { userId: 'u', holder: 'here' }),
      second.continueRun(paused.runId, decisions, { userId: 'u', holder: 'here' }),
    ]);
    const codes = outcomes.map((o) =>
      o.status === 'fulfilled' ? o.value.status : (o.reason as { code: string }).code,
    );
    expect(codes.sort()).toEqual(['CONFLICT', 'completed']);
    expect(first.refunds).toEqual([7]);
  });

  it('keeps runs of two users with the same run id apart while both continue', async () => {
    const { agent, refunds } = setup();
    for (const userId of ['u', 'v']) {
      fake.enqueue({ toolCalls: [{ id: 'r1', name: 'refund', arguments: { amount: 1 } }] });
      await agent.run('refund 1', { userId, runId: 'same-id', holder: 'here' });
    }
    fake.enqueue({ text: 'done' });
    fake.enqueue({ text: 'done' });
    const decisions = { approvals: { r1: true } };
    const outputs = await Promise.all(
      ['u', 'v'].map((userId) =>
        agent.continueRun('same-id', decisions, { userId, holder: 'here' }),
      ),
    );
    expect(outputs.map((o) => o.status)).toEqual(['completed', 'completed']);
    expect(refunds).toEqual([1, 1]);
  });
});
