// Streams and answers that servers really send, other than OpenAI's: each
// ends in a correct run or a clear error, never a hang.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../agent/agent.ts';
import type { RunEvent } from '../run/events.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { OpenAIChat } from './openai-chat.ts';

const fake = useFakeOpenAI();

const agent = (maxRetries = 0) =>
  new Agent({
    id: 'a',
    model: new OpenAIChat({ id: 'm', apiKey: 'k', baseURL: fake.baseURL, maxRetries }),
  });

describe('stream shapes', () => {
  it('takes an answer whose stream says [DONE] without any finish_reason', async () => {
    fake.enqueue({ text: 'all of it', omitFinishReason: true });
    const out = await agent().run('hi');
    expect(out).toMatchObject({ status: 'completed', content: 'all of it' });
  });

  it('still runs tool calls that arrive without a finish_reason', async () => {
    fake.enqueue(
      { toolCalls: [{ name: 'clock', arguments: {} }], omitFinishReason: true },
      { text: 'noon' },
    );
    const tools = [
      defineTool({
        name: 'clock',
        description: 'The time',
        parameters: z.object({}),
        execute: () => '12:00',
      }),
    ];
    const model = new OpenAIChat({ id: 'm', apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
    const out = await new Agent({ id: 't', model, tools }).run('time?');
    expect(out.toolCalls).toMatchObject([{ name: 'clock', result: '12:00' }]);
    expect(out.content).toBe('noon');
  });

  it('ends a run answered with an empty 200 body as PROVIDER_ERROR saying so', async () => {
    fake.enqueue({ emptyBody: true });
    const run = agent().run('hi');
    await expect(run).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await expect(run).rejects.toThrow(/empty stream/);
  });

  it('ends a run whose stream reports an error midway, after what streamed before it', async () => {
    fake.enqueue({ text: 'partial answer here', chunkSize: 4, errorAfterChunks: 3 });
    const events: RunEvent[] = [];
    for await (const event of agent().stream('hi')) events.push(event);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'run.error', code: 'PROVIDER_ERROR' });
    expect(end?.type === 'run.error' && end.message).toMatch(/failed mid-stream/);
    const streamed = events.map((e) => (e.type === 'run.content' ? e.delta : '')).join('');
    expect(streamed).toBe('partial ');
  });

  it('does not retry a 500 that refuses the request, and retries one that does not', async () => {
    fake.enqueue({ error: { status: 500, message: 'unknown variant `developer` in messages' } });
    await expect(agent(2).run('hi')).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(fake.completionRequests()).toHaveLength(1);
    fake.reset();
    fake.enqueue({ error: { status: 500, message: 'backend overloaded' } }, { text: 'ok' });
    await expect(agent(2).run('hi')).resolves.toMatchObject({ content: 'ok' });
    expect(fake.completionRequests()).toHaveLength(2);
  });
});
