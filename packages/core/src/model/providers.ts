// Presets for OpenAI-compatible providers: default base URL, the env variable
// holding the key, and each provider's quirks. All take OpenAIChat's options.
import { AzureOpenAI } from 'openai';
import { OpenAIChat, type OpenAIChatOptions } from './openai-chat.ts';
import type { ProviderQuirks } from './types.ts';

export type PresetOptions = Omit<OpenAIChatOptions, 'createClient'>;

interface Preset {
  baseURL: string;
  keyEnv: string;
  /** Local servers ignore the key, but the SDK needs one. */
  defaultKey?: string;
  quirks: Partial<ProviderQuirks> & { name: string };
}

/**
 * What servers other than OpenAI's take, unless a preset knows better: the
 * `developer` role is OpenAI's own (the others refuse it or drop the message),
 * as are `max_completion_tokens` (llama.cpp ignores it: no length cap),
 * `parallel_tool_calls` and audio input.
 */
const compatibleQuirks: Partial<ProviderQuirks> = {
  maxCompletionTokens: false,
  developerRole: false,
  parallelToolCalls: false,
  audio: false,
};

function preset({ baseURL, keyEnv, defaultKey, quirks }: Preset) {
  return (options: PresetOptions): OpenAIChat =>
    new OpenAIChat({
      ...options,
      baseURL: options.baseURL ?? baseURL,
      apiKey: options.apiKey ?? process.env[keyEnv] ?? defaultKey,
      quirks: { ...compatibleQuirks, ...quirks, ...options.quirks },
    });
}

export interface AzureOptions extends Omit<PresetOptions, 'id' | 'baseURL'> {
  /** e.g. https://my-resource.openai.azure.com; default AZURE_OPENAI_ENDPOINT. */
  endpoint?: string;
  /** Default OPENAI_API_VERSION, else 2024-10-21. */
  apiVersion?: string;
  deployment: string;
  /** Model id for pricing and display; defaults to the deployment name. */
  id?: string;
}

function azure(options: AzureOptions): OpenAIChat {
  const { endpoint, apiVersion, deployment, ...rest } = options;
  return new OpenAIChat({
    ...rest,
    id: options.id ?? deployment,
    quirks: { name: 'azure', ...options.quirks },
    createClient: (o) =>
      new AzureOpenAI({
        endpoint: endpoint ?? process.env.AZURE_OPENAI_ENDPOINT,
        apiVersion: apiVersion ?? process.env.OPENAI_API_VERSION ?? '2024-10-21',
        deployment,
        apiKey: o.apiKey ?? process.env.AZURE_OPENAI_API_KEY,
        timeout: o.timeout ?? 60_000,
        maxRetries: o.maxRetries ?? 2,
        defaultHeaders: o.defaultHeaders,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      }),
  });
}

export interface CompatibleOptions extends PresetOptions {
  baseURL: string;
  /** Default: the host name of baseURL. */
  name?: string;
}

function compatible(options: CompatibleOptions): OpenAIChat {
  return new OpenAIChat({
    ...options,
    apiKey: options.apiKey ?? process.env.OPENAI_API_KEY ?? 'not-needed',
    quirks: {
      name: options.name ?? new URL(options.baseURL).hostname,
      ...compatibleQuirks,
      ...options.quirks,
    },
  });
}

export const providers = {
  openai: preset({
    baseURL: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    quirks: {
      name: 'openai',
      maxCompletionTokens: true,
      developerRole: true,
      parallelToolCalls: true,
      audio: true,
    },
  }),
  azure,
  /** Ollama's OpenAI layer: images only as data, no audio; tool calls arrive whole. */
  ollama: preset({
    baseURL: 'http://localhost:11434/v1',
    keyEnv: 'OLLAMA_API_KEY',
    defaultKey: 'ollama',
    quirks: { name: 'ollama', imageURLs: false },
  }),
  /** vLLM's OpenAI server: json_schema through guided decoding, video and audio for models that take them. */
  vllm: preset({
    baseURL: 'http://localhost:8000/v1',
    keyEnv: 'VLLM_API_KEY',
    defaultKey: 'EMPTY',
    quirks: { name: 'vllm', video: true, audio: true, parallelToolCalls: true },
  }),
  /** LM Studio: response_format takes json_schema or text, never json_object; no usage in streams. */
  lmStudio: preset({
    baseURL: 'http://localhost:1234/v1',
    keyEnv: 'LMSTUDIO_API_KEY',
    defaultKey: 'lm-studio',
    quirks: { name: 'lm-studio', jsonObject: false, streamUsage: false },
  }),
  zhipu: preset({
    baseURL: 'https://open.bigmodel.cn/api/paas/v4',
    keyEnv: 'ZHIPUAI_API_KEY',
    quirks: { name: 'zhipu', video: true, jsonSchema: false, streamUsage: false },
  }),
  qianfan: preset({
    baseURL: 'https://qianfan.baidubce.com/v2',
    keyEnv: 'QIANFAN_API_KEY',
    quirks: { name: 'qianfan', jsonSchema: false },
  }),
  /** llama.cpp's own server or llama-cpp-python's (`python -m llama_cpp.server`). */
  llamaCpp: preset({
    baseURL: 'http://localhost:8080/v1',
    keyEnv: 'LLAMACPP_API_KEY',
    defaultKey: 'llama.cpp',
    quirks: {
      name: 'llama.cpp',
      jsonSchema: false,
      jsonObjectSchema: true,
      streamUsage: false,
      nullContentWithToolCalls: false,
    },
  }),
  /** DeepSeek: json_object but not json_schema, and user content as a string only. */
  deepseek: preset({
    baseURL: 'https://api.deepseek.com/v1',
    keyEnv: 'DEEPSEEK_API_KEY',
    quirks: { name: 'deepseek', jsonSchema: false, contentParts: false },
  }),
  compatible,
};
