import { describe, expect, it } from 'vitest';
import { Agent } from '../agent/agent.ts';
import { AgentRpcError } from '../errors.ts';
import type { RunEvent } from '../run/events.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { OpenAIChat, type OpenAIChatOptions } from './openai-chat.ts';

const fake = useFakeOpenAI();

function modelWith(options: Partial<OpenAIChatOptions> = {}) {
  return new OpenAIChat({
    id: 'gpt-4o-mini',
    apiKey: 'k',
    baseURL: fake.baseURL,
    maxRetries: 0,
    ...options,
  });
}

function agentWith(options: Partial<OpenAIChatOptions> = {}) {
  return new Agent({ id: 'a', model: modelWith(options) });
}

async function failure(promise: Promise<unknown>): Promise<AgentRpcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentRpcError);
  return error as AgentRpcError;
}

describe('provider failures', () => {
  it('retries a 429 after retry-after, then succeeds', async () => {
    fake.enqueue(
      { error: { status: 429, message: 'rate limited', retryAfter: 0.05 } },
      { text: 'ok' },
    );
    const out = await agentWith({ maxRetries: 2 }).run('hi');
    expect(out.content).toBe('ok');
    expect(fake.completionRequests()).toHaveLength(2);
  });

  it('reports RATE_LIMITED with the retry-after hint when retries run out', async () => {
    fake.enqueue({ error: { status: 429, message: 'quota', retryAfter: 7 } });
    const agent = agentWith();
    const events: RunEvent[] = [];
    for await (const event of agent.stream('hi')) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'run.error', code: 'RATE_LIMITED' });
  });

  it('gives PROVIDER_ERROR after 500s exhaust the retries', async () => {
    fake.enqueue(
      ...Array.from({ length: 3 }, () => ({
        error: { status: 500, message: 'boom', retryAfter: 0.01 },
      })),
    );
    const error = await failure(agentWith({ maxRetries: 2 }).run('hi'));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toMatch(/500.*boom/);
    expect(fake.completionRequests()).toHaveLength(3);
  });

  it('names the fix for a bad API key', async () => {
    fake.enqueue({ error: { status: 401, message: 'invalid key' } });
    const error = await failure(agentWith().run('hi'));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toMatch(/check the API key/);
  });

  it('ends a cut stream with run.error and stores the run as error', async () => {
    fake.enqueue({ text: 'a long answer that never finishes', chunkSize: 2, cutAfterChunks: 5 });
    const agent = agentWith();
    const events: RunEvent[] = [];
    for await (const event of agent.stream('hi')) events.push(event);
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'run.error', code: 'PROVIDER_ERROR' });
    expect(events.some((e) => e.type === 'run.content')).toBe(true);
    const stored = await agent.store.getRun({ userId: 'anonymous', runId: last?.runId ?? '' });
    expect(stored?.status).toBe('error');
  });

  it('gives PROVIDER_TIMEOUT when the provider does not answer', async () => {
    fake.enqueue({ hang: true });
    const error = await failure(agentWith({ timeout: 150 }).run('hi'));
    expect(error.code).toBe('PROVIDER_TIMEOUT');
  });

  it('gives PROVIDER_TIMEOUT when a stream stalls between chunks', async () => {
    fake.enqueue({ text: 'slow', chunkSize: 1, chunkDelayMs: 600 });
    const error = await failure(agentWith({ timeout: 150 }).run('hi'));
    expect(error.code).toBe('PROVIDER_TIMEOUT');
  });

  it('falls back to the next model when one fails before answering, and says so', async () => {
    const primary = modelWith({ id: 'primary-model' });
    const backup = modelWith({ id: 'backup-model' });
    const agent = new Agent({ id: 'a', model: primary, fallbackModels: [backup] });
    fake.enqueue({ error: { status: 503, message: 'overloaded' } }, { text: 'from the backup' });
    const events: RunEvent[] = [];
    for await (const event of agent.stream('hi')) events.push(event);
    expect(events.find((e) => e.type === 'model.fallback')).toMatchObject({
      from: 'primary-model',
      to: 'backup-model',
      code: 'PROVIDER_ERROR',
    });
    const done = events.at(-1);
    expect(done?.type === 'run.completed' && done.output).toMatchObject({
      content: 'from the backup',
      model: 'backup-model',
    });
    expect(fake.completionRequests().map((r) => r.body.model)).toEqual([
      'primary-model',
      'backup-model',
    ]);
  });

  it('does not fall back once output has streamed: that would repeat text', async () => {
    const backup = modelWith({ id: 'backup-model' });
    const agent = new Agent({
      id: 'a',
      model: modelWith({ id: 'p' }),
      fallbackModels: [backup],
    });
    fake.enqueue({ text: 'half of an answer', chunkSize: 2, cutAfterChunks: 4 });
    await expect(agent.run('hi')).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(fake.completionRequests()).toHaveLength(1);
  });

  it('cancels mid-stream through the AbortSignal', async () => {
    fake.enqueue({ text: 'x'.repeat(200), chunkSize: 1, chunkDelayMs: 5 });
    const agent = agentWith();
    const controller = new AbortController();
    const events: RunEvent[] = [];
    for await (const event of agent.stream('hi', { signal: controller.signal })) {
      events.push(event);
      if (events.filter((e) => e.type === 'run.content').length === 3) controller.abort();
    }
    const last = events.at(-1);
    expect(last?.type).toBe('run.cancelled');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const stored = await agent.store.getRun({ userId: 'anonymous', runId: last?.runId ?? '' });
    expect(stored?.status).toBe('cancelled');
  });

  it('records a run as cancelled when the consumer stops reading', async () => {
    fake.enqueue({ text: 'x'.repeat(100), chunkSize: 1, chunkDelayMs: 2 });
    const agent = agentWith();
    let runId = '';
    for await (const event of agent.stream('hi')) {
      runId = event.runId;
      if (event.type === 'run.content') break;
    }
    // Cancelling is asynchronous: the run stops and is saved right after.
    await expect
      .poll(async () => (await agent.store.getRun({ userId: 'anonymous', runId }))?.status)
      .toBe('cancelled');
    const stored = await agent.store.getRun({ userId: 'anonymous', runId });
    expect(stored?.error?.code).toBe('CANCELLED');
    // The session is free again for the next run.
    fake.enqueue({ text: 'next' });
    const out = await agent.run('again', { sessionId: stored?.sessionId ?? '' });
    expect(out.content).toBe('next');
  });
});
