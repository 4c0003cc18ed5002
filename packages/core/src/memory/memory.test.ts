import { describe, expect, it } from 'vitest';
import { Agent } from '../agent/agent.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collectEvents, useFakeOpenAI } from '../test-support/fake-openai.ts';
import { relevantMemories } from './user-memories.ts';

const fake = useFakeOpenAI();

const model = () =>
  new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });

const collect = collectEvents;

describe('user memories', () => {
  it('extracts memories after a run, per user, and puts them in later prompts of any session', async () => {
    const store = new MemoryStore();
    const agent = new Agent({
      id: 'chat',
      model: model(),
      store,
      memory: true,
      instructions: 'sys',
    });
    fake.enqueue(
      { text: 'Noted!' },
      { json: { memories: [{ memory: 'Drinks green tea', topics: ['drinks'] }] } },
    );
    const events = await collect(agent.stream('I only drink green tea', { userId: 'ann' }));
    expect(events.map((e) => e.type).slice(-2)).toEqual(['memory.updated', 'run.completed']);
    const extraction = fake.completionRequests()[1]?.body;
    expect(extraction.response_format).toEqual({ type: 'json_object' });
    expect(extraction.messages[1].content).toContain('user: I only drink green tea');
    expect((await store.listMemories({ userId: 'ann' })).map((m) => m.memory)).toEqual([
      'Drinks green tea',
    ]);
    expect(await store.listMemories({ userId: 'bob' })).toEqual([]);

    // A new session for ann: the memory is in the prompt; bob's prompt has none.
    fake.enqueue(
      { text: 'Green tea then.' },
      { json: { memories: [] } },
      { text: 'Hello Bob.' },
      { json: { memories: [] } },
    );
    await agent.run('What should I drink with tea?', { userId: 'ann' });
    await agent.run('What should I drink with tea?', { userId: 'bob' });
    const [annPrompt, , bobPrompt] = fake
      .completionRequests()
      .slice(2)
      .map((r) => r.body.messages[0].content);
    expect(annPrompt).toContain('- Drinks green tea');
    expect(bobPrompt).toBe('sys');
  });

  it('skips facts it already knows', async () => {
    const store = new MemoryStore();
    const agent = new Agent({ id: 'chat', model: model(), store, memory: true });
    fake.enqueue({ text: 'ok' }, { json: { memories: [{ memory: 'Lives in Oslo' }] } });
    await agent.run('I live in Oslo', { userId: 'u' });
    fake.enqueue(
      { text: 'ok' },
      { json: { memories: [{ memory: 'lives in oslo ' }, { memory: 'Has a cat' }] } },
    );
    await agent.run('Still Oslo, and I have a cat', { userId: 'u' });
    expect((await store.listMemories({ userId: 'u' })).map((m) => m.memory).sort()).toEqual([
      'Has a cat',
      'Lives in Oslo',
    ]);
  });

  it('a malformed extraction fails the run visibly instead of losing it silently', async () => {
    const agent = new Agent({ id: 'chat', model: model(), memory: true });
    fake.enqueue({ text: 'answer' }, { text: 'not json at all' });
    await expect(agent.run('hi')).rejects.toMatchObject({
      code: 'BAD_OUTPUT',
      message: expect.stringContaining('memory extraction'),
    });
  });

  it('gives the agent a remember tool that writes for the calling user only', async () => {
    const store = new MemoryStore();
    const agent = new Agent({
      id: 'chat',
      model: model(),
      store,
      memory: { tool: true, extract: false },
    });
    fake.enqueue(
      {
        toolCalls: [
          { name: 'remember', arguments: { memory: 'Prefers metric units', topics: ['units'] } },
        ],
      },
      { text: 'Got it.' },
    );
    const events = await collect(agent.stream('Use metric, always', { userId: 'cy' }));
    expect(events.find((e) => e.type === 'memory.updated')).toBeDefined();
    expect(
      fake
        .completionRequests()[0]
        ?.body.tools.map((t: { function: { name: string } }) => t.function.name),
    ).toContain('remember');
    expect((await store.listMemories({ userId: 'cy' }))[0]).toMatchObject({
      memory: 'Prefers metric units',
      topics: ['units'],
      agentId: 'chat',
    });
    expect(fake.completionRequests()).toHaveLength(2); // no extraction call when extract is off
  });

  it('ranks memories by words shared with the input, then by recency', () => {
    const m = (memory: string, i: number) => ({
      memoryId: `${i}`,
      userId: 'u',
      memory,
      topics: [],
      createdAt: i,
      updatedAt: i,
    });
    const memories = [
      m('Owns a bicycle', 1),
      m('Allergic to peanuts', 2),
      m('Works as a nurse', 3),
    ];
    expect(
      relevantMemories(memories, 'Any peanuts in this recipe?', 2).map((x) => x.memory),
    ).toEqual(['Allergic to peanuts', 'Owns a bicycle']);
  });
});
