import { describe, expect, it } from 'vitest';
import { Agent } from '../agent/agent.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import type { RunEvent } from '../run/events.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';

const fake = useFakeOpenAI();

const model = () =>
  new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });

describe('session summaries', () => {
  it('summarises after a run, stores it, reports it, and uses it in place of older history', async () => {
    const agent = new Agent({ id: 'chat', model: model(), summaries: true, numHistoryRuns: 1 });
    fake.enqueue({ text: 'A1' }, { text: 'User plans a trip to Rome.' });
    const events: RunEvent[] = [];
    for await (const event of agent.stream('I am planning a trip to Rome', { userId: 'u' }))
      events.push(event);
    expect(events.map((e) => e.type).slice(-2)).toEqual([
      'session.summary.updated',
      'run.completed',
    ]);
    const sessionId = events[0]?.type === 'run.started' ? events[0].sessionId : '';
    expect((await agent.store.getSession({ userId: 'u', sessionId }))?.summary).toBe(
      'User plans a trip to Rome.',
    );
    const summaryRequest = fake.completionRequests()[1]?.body.messages[1].content;
    expect(summaryRequest).toContain('(none)');
    expect(summaryRequest).toContain('user: I am planning a trip to Rome');

    fake.enqueue(
      { text: 'A2' },
      { text: 'User plans Rome; asked about hotels.' },
      { text: 'A3' },
      { text: 'S3' },
    );
    await agent.run('Hotels?', { userId: 'u', sessionId });
    await agent.run('Food?', { userId: 'u', sessionId });
    const third = fake
      .completionRequests()[4]
      ?.body.messages.map((m: { content: string }) => m.content);
    // System carries the latest summary; only the last run is replayed.
    expect(third[0]).toContain('User plans Rome; asked about hotels.');
    expect(third.slice(1)).toEqual(['Hotels?', 'A2', 'Food?']);
    expect(fake.completionRequests()[5]?.body.messages[1].content).toContain(
      'Summary so far:\nUser plans Rome; asked about hotels.',
    );
  });

  it('summarises every N runs when asked', async () => {
    const agent = new Agent({ id: 'chat', model: model(), summaries: { everyRuns: 2 } });
    fake.enqueue({ text: 'A1' }, { text: 'A2' }, { text: 'S2' });
    const first = await agent.run('Q1');
    await agent.run('Q2', { sessionId: first.sessionId });
    expect(fake.completionRequests()).toHaveLength(3);
    const request = fake.completionRequests()[2]?.body.messages[1].content;
    expect(request).toContain('user: Q1');
    expect(request).toContain('user: Q2');
  });
});
