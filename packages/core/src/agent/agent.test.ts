import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAgentRpcError } from '../errors.ts';
import { OpenAIChat } from '../model/openai-chat.ts';
import { providers } from '../model/providers.ts';
import type { RunEvent } from '../run/events.ts';
import { collectEvents, useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { Agent } from './agent.ts';

const fake = useFakeOpenAI();

const model = () =>
  new OpenAIChat({ id: 'gpt-4o-mini', apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });

const collect = collectEvents;

function expectWellFormed(events: RunEvent[]) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const terminal = events.filter((e) =>
    ['run.completed', 'run.cancelled', 'run.error', 'run.paused'].includes(e.type),
  );
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)).toBe(terminal[0]);
}

const weather = defineTool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    await new Promise((resolve) => setTimeout(resolve, city === 'Paris' ? 30 : 1));
    return { city, tempC: city.length };
  },
});

describe('Agent.run', () => {
  it('answers plain text with metrics and cost', async () => {
    fake.enqueue({
      text: 'Hello!',
      usage: { promptTokens: 1000, completionTokens: 500, cachedTokens: 200 },
    });
    const agent = new Agent({ id: 'a', model: model(), instructions: 'Be brief.' });
    const out = await agent.run('hi', { userId: 'u1' });
    expect(out).toMatchObject({
      status: 'completed',
      content: 'Hello!',
      userId: 'u1',
      agentId: 'a',
      model: 'gpt-4o-mini',
    });
    expect(out.metrics).toMatchObject({
      inputTokens: 1000,
      outputTokens: 500,
      totalTokens: 1500,
      cachedTokens: 200,
      modelCalls: 1,
    });
    // 800 fresh input at 0.15/M + 200 cached at 0.075/M + 500 output at 0.6/M
    expect(out.metrics.costUsd).toBeCloseTo((800 * 0.15 + 200 * 0.075 + 500 * 0.6) / 1e6, 12);
    expect(out.metrics.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    const body = fake.completionRequests()[0]?.body;
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it('streams content deltas with seq 1..n and one terminal event', async () => {
    fake.enqueue({ text: 'one two three four', chunkSize: 4 });
    const events = await collect(new Agent({ id: 'a', model: model() }).stream('hi'));
    expectWellFormed(events);
    expect(events[0]?.type).toBe('run.started');
    const deltas = events.flatMap((e) => (e.type === 'run.content' ? [e.delta] : []));
    expect(deltas).toEqual(['one ', 'two ', 'thre', 'e fo', 'ur']);
    const done = events.at(-1);
    expect(done?.type === 'run.completed' && done.output.content).toBe('one two three four');
  });

  it('a reader that falls behind gets merged deltas: same text, fewer events, no seq gaps', async () => {
    fake.enqueue({ text: 'x'.repeat(200), chunkSize: 2 });
    const events: RunEvent[] = [];
    for await (const event of new Agent({ id: 'a', model: model() }).stream('hi')) {
      events.push(event);
      if (event.type === 'run.content' && events.length === 2) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // a slow reader
      }
    }
    expectWellFormed(events);
    const deltas = events.flatMap((e) => (e.type === 'run.content' ? [e.delta] : []));
    expect(deltas.join('')).toBe('x'.repeat(200));
    expect(deltas.length).toBeLessThan(100);
  });

  it('instructions may be a function of the run context', async () => {
    fake.enqueue({ text: 'ok' });
    const agent = new Agent({
      id: 'a',
      model: model(),
      instructions: ({ userId, state }) => `User ${userId} likes ${state.colour}`,
    });
    await agent.run('hi', { userId: 'ann', sessionState: { colour: 'green' } });
    expect(fake.completionRequests()[0]?.body.messages[0].content).toBe('User ann likes green');
  });
});

describe('tools', () => {
  it('runs parallel tool calls split across chunks concurrently and feeds results back', async () => {
    fake.enqueue(
      {
        toolCalls: [
          { id: 'c1', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'c2', name: 'get_weather', arguments: { city: 'Oslo' } },
        ],
        chunkSize: 3,
      },
      { text: 'Paris 5, Oslo 4' },
    );
    const agent = new Agent({ id: 'a', model: model(), tools: [weather] });
    const events = await collect(agent.stream('weather?'));
    expectWellFormed(events);
    const toolEvents = events
      .filter((e) => e.type.startsWith('tool.'))
      .map((e) => `${e.type}:${'toolCallId' in e ? e.toolCallId : ''}`);
    // Both start before either finishes; Oslo (1 ms) completes before Paris (30 ms).
    expect(toolEvents).toEqual([
      'tool.started:c1',
      'tool.started:c2',
      'tool.completed:c2',
      'tool.completed:c1',
    ]);
    const out =
      events.at(-1)?.type === 'run.completed'
        ? (events.at(-1) as Extract<RunEvent, { type: 'run.completed' }>).output
        : undefined;
    expect(out?.content).toBe('Paris 5, Oslo 4');
    expect(out?.toolCalls.map((c) => [c.id, c.status, c.result])).toEqual([
      ['c1', 'completed', { city: 'Paris', tempC: 5 }],
      ['c2', 'completed', { city: 'Oslo', tempC: 4 }],
    ]);
    const second = fake.completionRequests()[1]?.body;
    expect(second.tools[0].function).toMatchObject({
      name: 'get_weather',
      parameters: { type: 'object', required: ['city'] },
    });
    expect(second.messages.slice(-3)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'c2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '{"city":"Paris","tempC":5}' },
      { role: 'tool', tool_call_id: 'c2', content: '{"city":"Oslo","tempC":4}' },
    ]);
  });

  it('feeds a throwing tool back as an error result and emits tool.failed', async () => {
    const broken = defineTool({
      name: 'broken',
      description: 'always fails',
      parameters: z.object({}),
      execute: () => {
        throw new Error('database is down');
      },
    });
    fake.enqueue(
      { toolCalls: [{ id: 'x', name: 'broken', arguments: {} }] },
      { text: 'Sorry, it failed.' },
    );
    const events = await collect(
      new Agent({ id: 'a', model: model(), tools: [broken] }).stream('go'),
    );
    expectWellFormed(events);
    expect(events.find((e) => e.type === 'tool.failed')).toMatchObject({
      toolCallId: 'x',
      error: 'database is down',
    });
    expect(fake.completionRequests()[1]?.body.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'x',
      content: '{"error":"database is down"}',
    });
    expect(events.at(-1)?.type).toBe('run.completed');
  });

  it('rejects invalid arguments and unknown tools without calling anything', async () => {
    fake.enqueue(
      {
        toolCalls: [
          { id: 'bad', name: 'get_weather', arguments: { town: 'Paris' } },
          { id: 'nope', name: 'missing_tool', arguments: {} },
        ],
      },
      { text: 'ok' },
    );
    const out = await new Agent({ id: 'a', model: model(), tools: [weather] }).run('go');
    expect(out.toolCalls.map((c) => [c.id, c.status])).toEqual([
      ['bad', 'failed'],
      ['nope', 'failed'],
    ]);
    expect(out.toolCalls[0]?.error).toMatch(/Invalid arguments: city/);
    expect(out.toolCalls[1]?.error).toMatch(/Unknown tool "missing_tool"/);
  });

  it('honours toolCallLimit: calls past it are refused and the model is told to stop', async () => {
    let calls = 0;
    const counter = defineTool({
      name: 'count',
      description: 'counts',
      parameters: z.object({}),
      execute: () => ++calls,
    });
    fake.enqueue(
      {
        toolCalls: [
          { id: 'a', name: 'count', arguments: {} },
          { id: 'b', name: 'count', arguments: {} },
        ],
      },
      { toolCalls: [{ id: 'c', name: 'count', arguments: {} }] },
      { text: 'done' },
    );
    const out = await new Agent({
      id: 'a',
      model: model(),
      tools: [counter],
      toolCallLimit: 2,
    }).run('go');
    expect(calls).toBe(2);
    expect(out.toolCalls.map((c) => c.status)).toEqual(['completed', 'completed', 'failed']);
    expect(out.toolCalls[2]?.error).toMatch(/limit \(2\)/);
    expect(fake.completionRequests().map((r) => r.body.tool_choice)).toEqual([
      undefined,
      'none',
      'none',
    ]);
  });

  it('ends a run whose model keeps calling the same tool past the limit, keeping its output', async () => {
    let calls = 0;
    const lookup = defineTool({
      name: 'lookup',
      description: 'looks up',
      parameters: z.object({ q: z.string() }),
      execute: () => ++calls,
    });
    const again = { toolCalls: [{ name: 'lookup', arguments: { q: 'same' } }] };
    fake.enqueue(again, again, again, again, again, again);
    const agent = new Agent({ id: 'loop', model: model(), tools: [lookup], toolCallLimit: 2 });
    const events = [];
    for await (const event of agent.stream('find it')) events.push(event);
    expect(calls).toBe(2);
    expect(fake.completionRequests()).toHaveLength(4);
    const last = events.at(-1);
    expect(last).toMatchObject({
      type: 'run.error',
      code: 'TOOL_ERROR',
      output: { status: 'error' },
    });
    expect(last?.type === 'run.error' && last.message).toMatch(/past the limit of 2/);
    expect(last?.type === 'run.error' && last.output.toolCalls).toHaveLength(3);
  });

  it('sends tool_choice and passes ctx (ids, state, signal) to tools; state changes persist', async () => {
    const seen: unknown[] = [];
    const remember = defineTool({
      name: 'remember',
      description: 'stores a note in the session',
      parameters: z.object({ note: z.string() }),
      execute: ({ note }, ctx) => {
        seen.push([ctx.userId, ctx.agentId, ctx.signal instanceof AbortSignal, ctx.state.theme]);
        ctx.state.notes = [...((ctx.state.notes as string[]) ?? []), note];
        return 'saved';
      },
    });
    const agent = new Agent({
      id: 'notes',
      model: model(),
      tools: [remember],
      toolChoice: { name: 'remember' },
    });
    fake.enqueue(
      { toolCalls: [{ name: 'remember', arguments: { note: 'milk' } }] },
      { text: 'saved' },
    );
    const out = await agent.run('remember milk', { userId: 'u', sessionState: { theme: 'dark' } });
    expect(seen).toEqual([['u', 'notes', true, 'dark']]);
    expect(fake.completionRequests()[0]?.body.tool_choice).toEqual({
      type: 'function',
      function: { name: 'remember' },
    });
    const session = await agent.store.getSession({ userId: 'u', sessionId: out.sessionId });
    expect(session?.state).toEqual({ theme: 'dark', notes: ['milk'] });
  });
});

describe('structured output', () => {
  const Answer = z.object({ city: z.string(), tempC: z.number() });

  it('sends json_schema and returns the validated, typed value', async () => {
    fake.enqueue({ json: { city: 'Paris', tempC: 21 } });
    const agent = new Agent({ id: 'a', model: model(), outputSchema: Answer });
    const out = await agent.run('weather?');
    const parsed: { city: string; tempC: number } | undefined = out.parsed;
    expect(parsed).toEqual({ city: 'Paris', tempC: 21 });
    expect(fake.completionRequests()[0]?.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'output', schema: { type: 'object', required: ['city', 'tempC'] } },
    });
  });

  it('shows the model a mismatch once, then fails with BAD_OUTPUT', async () => {
    fake.enqueue({ json: { city: 'Paris', tempC: 'warm' } }, { json: { city: 'Paris' } });
    const agent = new Agent({ id: 'a', model: model(), outputSchema: Answer });
    const error = await agent.run('weather?').catch((e: unknown) => e);
    expect(isAgentRpcError(error, 'BAD_OUTPUT')).toBe(true);
    expect((error as Error).message).toMatch(/tempC/);
    const stored = await agent.store.getRun({
      userId: 'anonymous',
      runId: (error as { runId: string }).runId,
    });
    expect(stored).toMatchObject({ status: 'error', error: { code: 'BAD_OUTPUT' } });
    const repair = fake.completionRequests()[1]?.body.messages.at(-1) as { content: string };
    expect(repair.content).toMatch(/tempC.*Answer again with only the JSON object/s);
  });

  it('repairs an answer that does not match with one more turn', async () => {
    fake.enqueue(
      { json: { city: 'Paris', tempC: 'warm' } },
      { json: { city: 'Paris', tempC: 18 } },
    );
    const agent = new Agent({ id: 'a', model: model(), outputSchema: Answer });
    const out = await agent.run('weather?');
    expect(out.parsed).toEqual({ city: 'Paris', tempC: 18 });
    expect(out.metrics.modelCalls).toBe(2);
  });

  it('falls back by itself when a provider refuses json_schema, and remembers it', async () => {
    const llm = model();
    const agent = new Agent({ id: 'a', model: llm, outputSchema: Answer });
    fake.enqueue(
      { error: { status: 500, message: 'response_format json_schema is not supported' } },
      { json: { city: 'Oslo', tempC: 3 } },
      { json: { city: 'Bergen', tempC: 9 } },
    );
    const events = [];
    for await (const event of agent.stream('weather?')) events.push(event);
    expect(events.find((e) => e.type === 'model.fallback')).toMatchObject({
      from: 'json_schema',
      to: 'json_object',
    });
    expect(events.at(-1)).toMatchObject({
      type: 'run.completed',
      output: { parsed: { city: 'Oslo' } },
    });
    const [refused, retried] = fake.completionRequests();
    expect(refused?.body.response_format.type).toBe('json_schema');
    expect(retried?.body.response_format).toEqual({ type: 'json_object' });
    expect(JSON.stringify(retried?.body.messages)).toContain('JSON schema');
    // The next run on this model starts in the mode that worked.
    expect((await agent.run('and Bergen?')).parsed).toEqual({ city: 'Bergen', tempC: 9 });
    expect(fake.completionRequests()[2]?.body.response_format).toEqual({ type: 'json_object' });
  });

  it('falls back to json_object plus the schema in the prompt where json_schema is missing', async () => {
    fake.enqueue({ text: '```json\n{"city":"Oslo","tempC":3}\n```' });
    const deepseek = providers.deepseek({
      id: 'deepseek-chat',
      apiKey: 'k',
      baseURL: fake.baseURL,
      maxRetries: 0,
    });
    const out = await new Agent({ id: 'a', model: deepseek, outputSchema: Answer }).run('weather?');
    expect(out.parsed).toEqual({ city: 'Oslo', tempC: 3 });
    const body = fake.completionRequests()[0]?.body;
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0].content).toContain('"tempC"');
  });
});

describe('reasoning and audio', () => {
  it('turns reasoning_content deltas into run.reasoning, never content', async () => {
    fake.enqueue({ reasoning: 'Let me think about it.', text: 'Answer.', chunkSize: 5 });
    const events = await collect(new Agent({ id: 'a', model: model() }).stream('q'));
    const reasoning = events.flatMap((e) => (e.type === 'run.reasoning' ? [e.delta] : [])).join('');
    const content = events.flatMap((e) => (e.type === 'run.content' ? [e.delta] : [])).join('');
    expect(reasoning).toBe('Let me think about it.');
    expect(content).toBe('Answer.');
    const done = events.at(-1);
    expect(done?.type === 'run.completed' && done.output.reasoningContent).toBe(
      'Let me think about it.',
    );
  });

  it('splits <think> tags out of content even when a tag is cut across chunks', async () => {
    fake.enqueue({ text: '<think>pondering deeply</think>\n\nThe answer is 42.', chunkSize: 3 });
    const events = await collect(new Agent({ id: 'a', model: model() }).stream('q'));
    const reasoning = events.flatMap((e) => (e.type === 'run.reasoning' ? [e.delta] : [])).join('');
    const content = events.flatMap((e) => (e.type === 'run.content' ? [e.delta] : [])).join('');
    expect(reasoning).toBe('pondering deeply');
    expect(content).toBe('The answer is 42.');
    expectWellFormed(events);
  });

  it('returns spoken audio output', async () => {
    const data = Buffer.from('RIFF....WAVEfmt fake audio bytes').toString('base64');
    fake.enqueue({ audio: { data, transcript: 'Hello there', id: 'aud_1' } });
    const speaker = new OpenAIChat({
      id: 'gpt-4o-audio-preview',
      apiKey: 'k',
      baseURL: fake.baseURL,
      modalities: ['text', 'audio'],
      audio: { voice: 'alloy', format: 'wav' },
    });
    const out = await new Agent({ id: 'a', model: speaker }).run('say hello');
    expect(out.audio).toEqual({ id: 'aud_1', data, transcript: 'Hello there' });
    expect(out.content).toBe('Hello there');
    expect(fake.completionRequests()[0]?.body).toMatchObject({
      modalities: ['text', 'audio'],
      audio: { voice: 'alloy' },
    });
  });
});
