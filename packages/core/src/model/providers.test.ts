import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../agent/agent.ts';
import type { Message } from '../message/types.ts';
import { useFakeOpenAI } from '../test-support/fake-openai.ts';
import { defineTool } from '../tool/define-tool.ts';
import { OpenAIChat } from './openai-chat.ts';
import { providers } from './providers.ts';
import type { Model, ModelRequest } from './types.ts';

const fake = useFakeOpenAI();

async function requestOf(model: Model) {
  fake.enqueue({ text: 'ok' });
  await new Agent({ id: 'p', model }).run('hi');
  const request = fake.completionRequests()[0];
  if (!request) throw new Error('no request reached the fake server');
  return request;
}

describe('provider presets: request shape', () => {
  const common = { apiKey: 'key-1', maxTokens: 64, temperature: 0.2, maxRetries: 0 };

  it('openai: bearer key, max_completion_tokens, stream usage', async () => {
    const r = await requestOf(
      providers.openai({
        id: 'gpt-4o-mini',
        baseURL: fake.baseURL,
        organization: 'org-1',
        ...common,
      }),
    );
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer key-1');
    expect(r.headers['openai-organization']).toBe('org-1');
    expect(r.body).toMatchObject({
      model: 'gpt-4o-mini',
      max_completion_tokens: 64,
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('llama.cpp: max_tokens, no stream_options, "" beside tool calls', async () => {
    const model = providers.llamaCpp({ id: 'gemma', baseURL: fake.baseURL, ...common });
    const r = await requestOf(model);
    expect(r.body).toMatchObject({ model: 'gemma', max_tokens: 64, stream: true });
    expect(r.body).not.toHaveProperty('stream_options');
    expect(r.body).not.toHaveProperty('max_completion_tokens');
    const agent = new Agent({
      id: 't',
      model,
      tools: [
        defineTool({
          name: 'now',
          description: 'The time',
          parameters: z.object({}),
          execute: () => '12:00',
        }),
      ],
    });
    fake.enqueue({ toolCalls: [{ id: 'c1', name: 'now', arguments: {} }] }, { text: 'noon' });
    await agent.run('time?');
    const replay = fake.completionRequests().at(-1)?.body.messages as {
      role: string;
      content: unknown;
    }[];
    expect(replay.find((m) => m.role === 'assistant')?.content).toBe('');
  });

  it('azure: deployment path, api-version query and api-key header', async () => {
    const r = await requestOf(
      providers.azure({
        endpoint: fake.url,
        deployment: 'my-gpt',
        apiVersion: '2024-10-21',
        ...common,
      }),
    );
    expect(r.path).toBe('/openai/deployments/my-gpt/chat/completions');
    expect(r.query['api-version']).toBe('2024-10-21');
    expect(r.headers['api-key']).toBe('key-1');
    expect(r.body).toMatchObject({ max_completion_tokens: 64 });
  });

  it.each([
    ['ollama', providers.ollama],
    ['lm-studio', providers.lmStudio],
    ['vllm', providers.vllm],
    ['zhipu', providers.zhipu],
    ['qianfan', providers.qianfan],
    ['deepseek', providers.deepseek],
  ] as const)('%s: OpenAI-compatible body with max_tokens', async (name, preset) => {
    const model = preset({ id: `${name}-model`, baseURL: fake.baseURL, ...common });
    expect(model.quirks.name).toBe(name);
    const r = await requestOf(model);
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer key-1');
    expect(r.body).toMatchObject({ model: `${name}-model`, max_tokens: 64, temperature: 0.2 });
    expect(r.body.max_completion_tokens).toBeUndefined();
    // Zhipu and LM Studio do not take stream_options; the others are asked for usage.
    const noStreamOptions = name === 'zhipu' || name === 'lm-studio';
    expect(r.body.stream_options).toEqual(noStreamOptions ? undefined : { include_usage: true });
  });

  it('presets know their public endpoints and key variables', () => {
    const env = process.env;
    process.env = { ...env, DEEPSEEK_API_KEY: 'ds-key', ZHIPUAI_API_KEY: 'zp-key' };
    try {
      expect(providers.deepseek({ id: 'deepseek-chat' }).options).toMatchObject({
        baseURL: 'https://api.deepseek.com/v1',
        apiKey: 'ds-key',
      });
      expect(providers.zhipu({ id: 'glm-4' }).options).toMatchObject({
        baseURL: 'https://open.bigmodel.cn/api/paas/v4',
        apiKey: 'zp-key',
      });
      expect(providers.ollama({ id: 'llama3' }).options.baseURL).toBe('http://localhost:11434/v1');
      expect(providers.lmStudio({ id: 'x' }).options.baseURL).toBe('http://localhost:1234/v1');
      expect(providers.qianfan({ id: 'ernie' }).options.baseURL).toBe(
        'https://qianfan.baidubce.com/v2',
      );
    } finally {
      process.env = env;
    }
  });

  it('compatible: any base URL, extra headers, query and body fields', async () => {
    const r = await requestOf(
      providers.compatible({
        id: 'any-model',
        baseURL: fake.baseURL,
        apiKey: 'x',
        defaultHeaders: { 'x-team': 'blue' },
        defaultQuery: { region: 'eu' },
        extraBody: { top_k: 5 },
      }),
    );
    expect(r.headers['x-team']).toBe('blue');
    expect(r.query.region).toBe('eu');
    expect(r.body.top_k).toBe(5);
  });

  it('OpenAIChat takes its key and base URL from the environment by default', async () => {
    const env = process.env;
    process.env = { ...env, OPENAI_API_KEY: 'env-key', OPENAI_BASE_URL: fake.baseURL };
    try {
      const r = await requestOf(new OpenAIChat({ id: 'gpt-4o', maxRetries: 0 }));
      expect(r.headers.authorization).toBe('Bearer env-key');
    } finally {
      process.env = env;
    }
  });

  it('a custom fetch is used for every call', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    await requestOf(
      new OpenAIChat({ id: 'gpt-4o', apiKey: 'k', baseURL: fake.baseURL, fetch: counting }),
    );
    expect(calls).toBe(1);
  });
});

describe('provider quirks: what goes out', () => {
  const weatherSpec = { name: 'w', description: 'weather', parameters: { type: 'object' } };
  const bodyFor = (model: OpenAIChat, request: Partial<ModelRequest> = {}) =>
    model.requestBody({ messages: [{ role: 'user', content: 'hi' }], ...request });

  it('parallel_tool_calls only where the provider takes it', () => {
    const tools = [weatherSpec];
    const withSetting = { id: 'm', apiKey: 'k', parallelToolCalls: false };
    expect(bodyFor(providers.openai(withSetting), { tools })).toMatchObject({
      parallel_tool_calls: false,
    });
    expect(bodyFor(providers.vllm(withSetting), { tools })).toMatchObject({
      parallel_tool_calls: false,
    });
    for (const preset of [providers.deepseek, providers.ollama, providers.zhipu]) {
      expect(bodyFor(preset(withSetting), { tools })).not.toHaveProperty('parallel_tool_calls');
    }
    expect(bodyFor(providers.openai(withSetting))).not.toHaveProperty('parallel_tool_calls');
  });

  it('text parts go out as one string where content must be a string', () => {
    const messages: Message[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one ' },
          { type: 'text', text: 'two' },
        ],
      },
    ];
    const deepseek = bodyFor(providers.deepseek({ id: 'm', apiKey: 'k' }), { messages });
    expect(deepseek.messages).toEqual([{ role: 'user', content: 'one two' }]);
    const openai = bodyFor(providers.openai({ id: 'm', apiKey: 'k' }), { messages });
    expect(openai.messages[0]?.content).toHaveLength(2);
  });

  it('audio input is refused up front where the provider takes none', () => {
    const messages: Message[] = [
      { role: 'user', content: [{ type: 'audio', audio: { base64: 'AAAA', format: 'wav' } }] },
    ];
    expect(() => bodyFor(providers.ollama({ id: 'm' }), { messages })).toThrow(
      /audio input is not supported by provider "ollama"/,
    );
    expect(bodyFor(providers.openai({ id: 'm', apiKey: 'k' }), { messages }).messages).toEqual([
      {
        role: 'user',
        content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
      },
    ]);
  });
});
