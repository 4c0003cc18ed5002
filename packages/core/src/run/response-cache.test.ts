import { describe, expect, it } from 'vitest';
import { Agent } from '../agent/agent.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';

const fake = useFakeOpenAI();
const model = (temperature: number) =>
  new OpenAIChat({
    id: 'gpt-4o-mini',
    apiKey: 'k',
    baseURL: fake.baseURL,
    maxRetries: 0,
    temperature,
  });

describe('response cache', () => {
  it('answers the same deterministic request from the store, per user', async () => {
    const agent = new Agent({
      id: 'a',
      model: model(0),
      store: new MemoryStore(),
      cache: { ttlMs: 60_000 },
      numHistoryRuns: 0,
    });
    fake.enqueue({ text: 'Paris is the capital.', reasoning: 'easy' }, { text: 'for bob' });
    const first = await agent.run('Capital of France?', { userId: 'ann' });
    const second = await agent.run('Capital of France?', { userId: 'ann' });
    expect(second).toMatchObject({ content: 'Paris is the capital.', reasoningContent: 'easy' });
    expect(second.metrics).toMatchObject({ cacheHits: 1, modelCalls: 0 });
    expect(first.metrics.cacheHits).toBeUndefined();
    expect(fake.completionRequests()).toHaveLength(1);
    // Another user sending the same request is not answered from ann's cache.
    expect((await agent.run('Capital of France?', { userId: 'bob' })).content).toBe('for bob');
    expect(fake.completionRequests()).toHaveLength(2);
  });

  it('caches tool-calling answers too, and leaves non-deterministic models alone', async () => {
    const cached = new Agent({
      id: 'a',
      model: model(0),
      cache: { ttlMs: 60_000 },
      numHistoryRuns: 0,
    });
    fake.enqueue({ text: 'one' }, { text: 'two' });
    await cached.run('different question A');
    await cached.run('different question B');
    expect(fake.completionRequests()).toHaveLength(2);

    const warm = new Agent({
      id: 'w',
      model: model(0.7),
      cache: { ttlMs: 60_000 },
      numHistoryRuns: 0,
    });
    fake.enqueue({ text: 'x' }, { text: 'y' });
    expect((await warm.run('same')).content).toBe('x');
    expect((await warm.run('same')).content).toBe('y');
  });
});
