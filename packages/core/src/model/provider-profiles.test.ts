// Every preset against the fake server playing that provider: each must get
// through a plain answer, a developer message, a tool round trip, structured
// output (without needing a fallback: the preset already knows what the
// server takes), and its error bodies must come out as clear errors.
import { createFakeOpenAI, type FakeOpenAI, type FakeProfile } from '@agentrpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../agent/agent.ts';
import type { RunEvent } from '../run/events.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collectEvents } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import type { OpenAIChat } from './openai-chat.ts';
import { providers } from './providers.ts';
import type { ProviderQuirks } from './types.ts';

interface Case {
  profile: FakeProfile;
  model(fake: FakeOpenAI): OpenAIChat;
  /** The server sends usage for this preset's requests. */
  usage: boolean;
  /** User content may be a list of parts (an image beside text). */
  parts: boolean;
}

const local = (fake: FakeOpenAI) => ({ id: 'm', baseURL: fake.baseURL, maxRetries: 0 });

const cases: Case[] = [
  { profile: 'openai', model: (f) => providers.openai(local(f)), usage: true, parts: true },
  {
    profile: 'azure',
    model: (f) =>
      providers.azure({
        endpoint: f.url,
        apiKey: 'azure-key',
        deployment: 'gpt-4o',
        maxRetries: 0,
      }),
    usage: true,
    parts: true,
  },
  { profile: 'llama.cpp', model: (f) => providers.llamaCpp(local(f)), usage: false, parts: true },
  { profile: 'ollama', model: (f) => providers.ollama(local(f)), usage: true, parts: true },
  { profile: 'vllm', model: (f) => providers.vllm(local(f)), usage: true, parts: true },
  { profile: 'lmstudio', model: (f) => providers.lmStudio(local(f)), usage: false, parts: true },
  {
    profile: 'deepseek',
    model: (f) => providers.deepseek({ ...local(f), apiKey: 'k' }),
    usage: true,
    parts: false,
  },
  // Zhipu's last chunk carries usage whether asked or not.
  {
    profile: 'zhipu',
    model: (f) => providers.zhipu({ ...local(f), apiKey: 'k' }),
    usage: true,
    parts: true,
  },
  {
    profile: 'qianfan',
    model: (f) => providers.qianfan({ ...local(f), apiKey: 'k' }),
    usage: true,
    parts: true,
  },
];

const weather = defineTool({
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, tempC: 21 }),
});

const Answer = z.object({ city: z.string(), tempC: z.number() });
const pixel =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe.each(cases)('the $profile preset on a $profile server', (c) => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await createFakeOpenAI({ profile: c.profile });
  });
  afterAll(() => fake.close());

  it('streams an answer, with usage as the server reports it', async () => {
    fake.enqueue({ text: 'Hello <b>world</b> & more', usage: { promptTokens: 11 } });
    const out = await new Agent({ id: 'a', model: c.model(fake) }).run('hi');
    expect(out.status).toBe('completed');
    expect(out.content).toBe('Hello <b>world</b> & more');
    expect(out.metrics.usageEstimated ?? false).toBe(!c.usage);
    if (c.usage) expect(out.metrics.inputTokens).toBe(11);
    else expect(out.metrics.inputTokens).toBe(1); // "hi": 2 characters, estimated
  });

  it('sends a developer message in a role the server takes', async () => {
    fake.enqueue({ text: 'ok' });
    const out = await new Agent({ id: 'a', model: c.model(fake) }).run([
      { role: 'developer', content: 'Answer briefly.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(out.status).toBe('completed');
    const sent = fake.completionRequests().at(-1)?.body.messages[0];
    expect(sent).toEqual({
      role: c.profile === 'openai' || c.profile === 'azure' ? 'developer' : 'system',
      content: 'Answer briefly.',
    });
  });

  it('runs a tool round trip, the call streamed the way this server streams it', async () => {
    fake.enqueue(
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], chunkSize: 4 },
      { text: 'Sunny.' },
    );
    const agent = new Agent({ id: 'w', model: c.model(fake), tools: [weather] });
    const out = await agent.run('weather in Oslo?');
    expect(out.toolCalls).toMatchObject([
      { name: 'get_weather', args: { city: 'Oslo' }, status: 'completed' },
    ]);
    expect(out.content).toBe('Sunny.');
  });

  it('gets structured output in the mode the server takes, without a fallback', async () => {
    fake.enqueue({ json: { city: 'Oslo', tempC: 21 } });
    const agent = new Agent({ id: 's', model: c.model(fake), outputSchema: Answer });
    const events: RunEvent[] = await collectEvents(agent.stream('weather as JSON'));
    expect(events.filter((e) => e.type === 'model.fallback')).toEqual([]);
    const end = events.at(-1);
    expect(end?.type).toBe('run.completed');
    if (end?.type === 'run.completed')
      expect(end.output.parsed).toEqual({ city: 'Oslo', tempC: 21 });
  });

  it(c.parts ? 'sends an image beside text' : 'refuses an image before sending', async () => {
    const before = fake.completionRequests().length;
    fake.enqueue({ text: 'a pixel' });
    const run = new Agent({ id: 'i', model: c.model(fake) }).run([
      { type: 'text', text: 'what is this?' },
      { type: 'image', image: { base64: pixel, mimeType: 'image/png' } },
    ]);
    if (c.parts) {
      await expect(run).resolves.toMatchObject({ status: 'completed', content: 'a pixel' });
    } else {
      await expect(run).rejects.toMatchObject({ code: 'BAD_INPUT' });
      expect(fake.completionRequests().length).toBe(before);
      fake.reset();
    }
  });

  it("turns this server's error body into a clear error", async () => {
    fake.enqueue({ error: { status: 400, message: 'the model is not loaded' } });
    const run = new Agent({ id: 'e', model: c.model(fake) }).run('hi');
    await expect(run).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await expect(run).rejects.toThrow(/400.*the model is not loaded/);
  });
});

describe('what the presets spare their users', () => {
  /** A model that knows nothing of the server but what it is told. */
  const plain = (fake: FakeOpenAI, quirks: Partial<ProviderQuirks> = {}) =>
    providers.compatible({ baseURL: fake.baseURL, id: 'm', maxRetries: 0, quirks });

  it('deepseek: the developer role and content parts are refused there (422)', async () => {
    const fake = await createFakeOpenAI({ profile: 'deepseek' });
    try {
      const model = plain(fake, { developerRole: true });
      await expect(
        new Agent({ id: 'd', model }).run([
          { role: 'developer', content: 'x' },
          { role: 'user', content: 'hi' },
        ]),
      ).rejects.toThrow(/422.*unknown variant `developer`/);
      await expect(
        new Agent({ id: 'p', model: plain(fake) }).run([{ type: 'text', text: 'hi' }]),
      ).rejects.toThrow(/422.*untagged enum/);
    } finally {
      await fake.close();
    }
  });

  it('lmstudio: json_object is refused there; without the preset the run falls back to text', async () => {
    const fake = await createFakeOpenAI({ profile: 'lmstudio' });
    try {
      const model = plain(fake, { jsonSchema: false });
      fake.enqueue({ json: { city: 'Oslo', tempC: 21 } });
      const agent = new Agent({ id: 'l', model, outputSchema: Answer });
      const events = await collectEvents(agent.stream('weather as JSON'));
      expect(events.filter((e) => e.type === 'model.fallback')).toMatchObject([
        {
          from: 'json_object',
          to: 'text',
          message: expect.stringMatching(/must be 'json_schema' or 'text'/),
        },
      ]);
      expect(events.at(-1)?.type).toBe('run.completed');
    } finally {
      await fake.close();
    }
  });

  it('ollama: an image by URL is refused before sending, with what to do instead', async () => {
    const fake = await createFakeOpenAI({ profile: 'ollama' });
    try {
      const run = new Agent({ id: 'o', model: providers.ollama(local(fake)) }).run([
        { type: 'image', image: 'https://example.com/cat.png' },
      ]);
      await expect(run).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(run).rejects.toThrow(/takes images as data/);
      expect(fake.completionRequests()).toEqual([]);
      // Sent anyway, the server says only this:
      const sent = providers.ollama({ ...local(fake), quirks: { imageURLs: true } });
      await expect(
        new Agent({ id: 'o2', model: sent }).run([
          { type: 'image', image: 'https://example.com/cat.png' },
        ]),
      ).rejects.toThrow(/invalid image input/);
    } finally {
      await fake.close();
    }
  });

  it('keeps usage in a session: how much of it was estimated', async () => {
    const fake = await createFakeOpenAI({ profile: 'llama.cpp' });
    try {
      const store = new MemoryStore();
      const agent = new Agent({ id: 'u', model: providers.llamaCpp(local(fake)), store });
      fake.enqueue({ text: 'twelve chars' }, { text: 'four' });
      const first = await agent.run('sixteen characters');
      const second = await agent.run('more', { sessionId: first.sessionId });
      const session = await store.getSession({ userId: first.userId, sessionId: first.sessionId });
      const total = first.metrics.totalTokens + second.metrics.totalTokens;
      expect(first.metrics.estimatedTokens).toBe(first.metrics.totalTokens);
      expect(session?.usage).toMatchObject({ totalTokens: total, estimatedTokens: total });
    } finally {
      await fake.close();
    }
  });
});
