// OpenAIChat: any OpenAI-compatible Chat Completions endpoint, through the
// official openai SDK. The client is made on first use, so building one is free.
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { toChatMessages } from './chat-messages.ts';
import { httpFetch } from './http-fetch.ts';
import { priceOf } from './pricing.ts';
import { toProviderError } from './provider-error.ts';
import { withRetryVerdict } from './retry-verdict.ts';
import { sseChunks } from './sse-chunks.ts';
import type {
  ChatCompletionChunk,
  Model,
  ModelPrice,
  ModelRequest,
  ProviderQuirks,
  ToolChoice,
} from './types.ts';

export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  stop?: string | string[];
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  /** `['text', 'audio']` asks for spoken output (returned in RunOutput.audio). */
  modalities?: ('text' | 'audio')[];
  audio?: { voice: string; format: 'wav' | 'mp3' | 'flac' | 'opus' | 'pcm16' };
  /** Let the model call several tools in one turn (sent only to providers that take it). */
  parallelToolCalls?: boolean;
  /** Provider-specific fields merged into every request body. */
  extraBody?: Record<string, unknown>;
}

export interface OpenAIChatOptions extends SamplingOptions {
  id: string;
  /** Defaults to the preset's key variable, OPENAI_API_KEY for plain OpenAIChat. */
  apiKey?: string;
  baseURL?: string;
  organization?: string;
  project?: string;
  /** Milliseconds to wait for the provider to answer and between streamed chunks (default 60,000). */
  timeout?: number;
  /** Retries on 408/409/429/5xx and connection errors, before any output streamed (default 2). */
  maxRetries?: number;
  defaultHeaders?: Record<string, string>;
  defaultQuery?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  /** USD per million tokens; defaults to the built-in table when the id is known. */
  price?: ModelPrice;
  /** Provider behaviour; presets set this. */
  quirks?: Partial<ProviderQuirks>;
  /** Builds the SDK client; presets use it for Azure. */
  createClient?: (options: OpenAIChatOptions) => OpenAI;
}

/** Local servers (Ollama, LM Studio, llama.cpp) take any key or none. */
function isLocalURL(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return (
      host === 'localhost' ||
      host.endsWith('.localhost') ||
      host === '::1' ||
      host.startsWith('127.') ||
      host === '0.0.0.0'
    );
  } catch {
    return false;
  }
}

const openAIQuirks: ProviderQuirks = {
  name: 'openai',
  video: false,
  jsonSchema: true,
  streamUsage: true,
  maxCompletionTokens: true,
  nullContentWithToolCalls: true,
};

function toolChoiceParam(choice: ToolChoice) {
  return typeof choice === 'string'
    ? choice
    : { type: 'function' as const, function: { name: choice.name } };
}

export class OpenAIChat implements Model {
  readonly options: OpenAIChatOptions;
  #client: OpenAI | undefined;
  #quirks: ProviderQuirks | undefined;

  constructor(options: OpenAIChatOptions) {
    this.options = options;
  }

  get id(): string {
    return this.options.id;
  }

  get quirks(): ProviderQuirks {
    this.#quirks ??= this.options.quirks
      ? { ...openAIQuirks, ...this.options.quirks }
      : openAIQuirks;
    return this.#quirks;
  }

  get price(): ModelPrice | undefined {
    return this.options.price ?? priceOf(this.options.id);
  }

  get deterministic(): boolean {
    return this.options.temperature === 0;
  }

  get timeoutMs(): number {
    return this.options.timeout ?? 60_000;
  }

  configurationProblems(): string[] {
    if (this.options.createClient) return []; // the preset (Azure) finds its own credentials
    const apiKey = this.options.apiKey ?? process.env.OPENAI_API_KEY;
    const baseURL = this.options.baseURL ?? process.env.OPENAI_BASE_URL;
    if (apiKey || (baseURL && isLocalURL(baseURL))) return [];
    const where = baseURL ? `at ${baseURL}` : 'at OpenAI';
    return [
      `model "${this.options.id}" ${where} has no API key: set OPENAI_API_KEY or pass apiKey, or every run will fail with UNAUTHORIZED from the provider`,
    ];
  }

  get client(): OpenAI {
    this.#client ??= this.#makeClient();
    return this.#client;
  }

  #makeClient(): OpenAI {
    const fetch = withRetryVerdict(this.options.fetch ?? httpFetch);
    return this.options.createClient
      ? this.options.createClient({ ...this.options, fetch })
      : new OpenAI({
          apiKey: this.options.apiKey ?? process.env.OPENAI_API_KEY ?? 'missing-api-key',
          baseURL: this.options.baseURL ?? process.env.OPENAI_BASE_URL ?? null,
          organization: this.options.organization ?? null,
          project: this.options.project ?? null,
          timeout: this.timeoutMs,
          maxRetries: this.options.maxRetries ?? 2,
          defaultHeaders: this.options.defaultHeaders,
          defaultQuery: this.options.defaultQuery,
          fetch,
        });
  }

  /** The request body sent for `request`; exposed for inspection and tests. */
  requestBody(request: ModelRequest): ChatCompletionCreateParamsStreaming {
    const o = this.options;
    const quirks = this.quirks;
    const body: Record<string, unknown> = {
      model: o.id,
      messages: toChatMessages(request.messages, quirks),
      stream: true,
    };
    if (quirks.streamUsage) body.stream_options = { include_usage: true };
    if (o.temperature !== undefined) body.temperature = o.temperature;
    if (o.topP !== undefined) body.top_p = o.topP;
    if (o.maxTokens !== undefined) {
      body[quirks.maxCompletionTokens ? 'max_completion_tokens' : 'max_tokens'] = o.maxTokens;
    }
    if (o.frequencyPenalty !== undefined) body.frequency_penalty = o.frequencyPenalty;
    if (o.presencePenalty !== undefined) body.presence_penalty = o.presencePenalty;
    if (o.seed !== undefined) body.seed = o.seed;
    if (o.stop !== undefined) body.stop = o.stop;
    if (o.reasoningEffort !== undefined) body.reasoning_effort = o.reasoningEffort;
    if (o.modalities !== undefined) body.modalities = o.modalities;
    if (o.audio !== undefined) body.audio = o.audio;
    if (request.tools?.length) {
      body.tools = request.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      }));
      if (request.toolChoice) body.tool_choice = toolChoiceParam(request.toolChoice);
      if (o.parallelToolCalls !== undefined && quirks.parallelToolCalls !== false) {
        body.parallel_tool_calls = o.parallelToolCalls;
      }
    }
    const format = request.responseFormat;
    if (format?.type === 'json_schema') {
      body.response_format = {
        type: 'json_schema',
        json_schema: { name: format.name, schema: format.schema },
      };
    } else if (format) {
      const schema = this.quirks.jsonObjectSchema && format.schema ? { schema: format.schema } : {};
      body.response_format = { type: 'json_object', ...schema };
    }
    return { ...body, ...o.extraBody } as unknown as ChatCompletionCreateParamsStreaming;
  }

  async streamChunks(request: ModelRequest): Promise<AsyncIterable<ChatCompletionChunk>> {
    try {
      const response = await this.client.chat.completions
        .create(this.requestBody(request), {
          ...(request.signal ? { signal: request.signal } : {}),
        })
        .asResponse();
      return sseChunks(response);
    } catch (error) {
      throw toProviderError(error, this.quirks.name);
    }
  }
}
