// How the fake server differs from OpenAI when it plays another server. Each
// profile reproduces what that server is documented to do (its API docs,
// source and bug trackers): what it refuses and with what error body, how it
// streams tool calls and usage, and what else rides in its streams. The
// presets in @agentrpc/core are tested against them (model/provider-profiles.test.ts).
import type { RecordedRequest } from './fake-openai-server.ts';

export type FakeProfile =
  | 'openai'
  | 'azure'
  | 'llama.cpp'
  | 'ollama'
  | 'vllm'
  | 'lmstudio'
  | 'deepseek'
  | 'zhipu'
  | 'qianfan';

export const fakeProfiles: readonly FakeProfile[] = [
  'openai',
  'azure',
  'llama.cpp',
  'ollama',
  'vllm',
  'lmstudio',
  'deepseek',
  'zhipu',
  'qianfan',
];

/** An error the server answers with, before its profile shapes the body. */
export interface ProfileError {
  status: number;
  message: string;
  type?: string;
  code?: string;
}

export interface ProfileRules {
  /**
   * How a tool call streams: OpenAI's header chunk then argument pieces;
   * every chunk repeating id, type and the whole name, with the legacy
   * `function_call` beside (llama.cpp); or each call whole in one chunk
   * (Ollama, Zhipu).
   */
  toolCalls: 'incremental' | 'repeat-header' | 'whole';
  /** When a stream ends with usage: when `stream_options` asks, never, or always (Zhipu). */
  streamUsage: 'when-asked' | 'never' | 'always';
  /** Azure: a leading chunk with no choices carries prompt filter results; each choice carries its own. */
  filterAnnotations: boolean;
  /** Go's encoding/json (Ollama) writes <, > and & in strings as \u003c, \u003e, \u0026. */
  escapeHtml: boolean;
  /** DeepSeek: `: keep-alive` comment lines while the request waits to be served. */
  keepAliveComments: boolean;
  /** The JSON body of an error answer. */
  errorBody(error: ProfileError): unknown;
  /** What this server refuses in a request; undefined when it takes it. */
  refusal(request: RecordedRequest): ProfileError | undefined;
}

interface SentPart {
  type?: string;
  image_url?: { url?: string };
}

interface SentMessage {
  role?: string;
  content?: unknown;
}

interface SentBody {
  messages?: SentMessage[];
  response_format?: { type?: string };
}

const bodyOf = (request: RecordedRequest): SentBody => (request.body ?? {}) as SentBody;

const roleIs = (request: RecordedRequest, role: string) =>
  bodyOf(request).messages?.some((m) => m.role === role) ?? false;

const formatIs = (request: RecordedRequest, type: string) =>
  bodyOf(request).response_format?.type === type;

const partsOf = (request: RecordedRequest): SentPart[] =>
  (bodyOf(request).messages ?? []).flatMap((m) =>
    Array.isArray(m.content) ? (m.content as SentPart[]) : [],
  );

/** OpenAI's error body, which most servers copy. */
const openAIError = ({ message, type, code }: ProfileError) => ({
  error: { message, type: type ?? 'invalid_request_error', param: null, code: code ?? null },
});

const base: ProfileRules = {
  toolCalls: 'incremental',
  streamUsage: 'when-asked',
  filterAnnotations: false,
  escapeHtml: false,
  keepAliveComments: false,
  errorBody: openAIError,
  refusal: () => undefined,
};

const rules: Record<FakeProfile, ProfileRules> = {
  openai: base,

  // Azure OpenAI: routes by deployment and api-version; content filtering adds
  // annotation chunks, the first of them with an empty choices list.
  azure: {
    ...base,
    filterAnnotations: true,
    errorBody: ({ message, code, status }) => ({
      error: { code: code ?? String(status), message, param: null, status },
    }),
    refusal(request) {
      if (!request.query['api-version']) {
        return { status: 404, code: '404', message: 'Resource not found' };
      }
      if (!request.headers['api-key'] && !request.headers.authorization) {
        return {
          status: 401,
          code: '401',
          message: 'Access denied due to invalid subscription key or wrong API endpoint.',
        };
      }
      return undefined;
    },
  },

  // llama.cpp's server and llama-cpp-python's: tool-call chunks repeat the
  // header; no usage in streams; json_schema and a null assistant content both
  // end in a 500 (llama-cpp-python turns every exception into one).
  'llama.cpp': {
    ...base,
    toolCalls: 'repeat-header',
    streamUsage: 'never',
    errorBody: ({ message }) => ({ error: { message, type: 'internal_server_error' } }),
    refusal(request) {
      if (formatIs(request, 'json_schema')) {
        return { status: 500, message: 'response_format json_schema is not supported' };
      }
      const nullContent = bodyOf(request).messages?.some(
        (m) => m.role === 'assistant' && m.content === null,
      );
      if (nullContent) {
        return {
          status: 500,
          message: "'NoneType' object has no attribute 'strip' (assistant content is null)",
        };
      }
      return undefined;
    },
  },

  // Ollama's /v1 layer (openai.go): images only as base64 data URLs, content
  // parts only text and image_url; tool calls arrive whole; Go escapes HTML.
  ollama: {
    ...base,
    toolCalls: 'whole',
    escapeHtml: true,
    refusal(request) {
      for (const part of partsOf(request)) {
        if (part.type === 'image_url' && !part.image_url?.url?.startsWith('data:image/')) {
          return { status: 400, message: 'invalid image input' };
        }
        if (part.type !== 'text' && part.type !== 'image_url') {
          return { status: 400, message: 'invalid message format' };
        }
      }
      return undefined;
    },
  },

  // vLLM: errors as a bare {"object":"error",...} body; failures after the
  // stream started come as a data event carrying `error`.
  vllm: {
    ...base,
    errorBody: ({ message, type, status }) => ({
      object: 'error',
      message,
      type: type ?? 'BadRequestError',
      param: null,
      code: status,
    }),
  },

  // LM Studio: response_format takes json_schema or text only, refused with a
  // bare string error; streams carry no usage.
  lmstudio: {
    ...base,
    streamUsage: 'never',
    errorBody: ({ message }) => ({ error: message }),
    refusal(request) {
      if (formatIs(request, 'json_object')) {
        return { status: 400, message: "'response_format.type' must be 'json_schema' or 'text'" };
      }
      return undefined;
    },
  },

  // DeepSeek: roles system/user/assistant/tool only, content as a string,
  // json_object but not json_schema; keep-alive comments while queued.
  deepseek: {
    ...base,
    keepAliveComments: true,
    refusal(request) {
      if (roleIs(request, 'developer')) {
        return {
          status: 422,
          message:
            'Failed to deserialize the JSON body into the target type: messages[0].role: unknown variant `developer`, expected one of `system`, `user`, `assistant`, `tool`',
        };
      }
      if (bodyOf(request).messages?.some((m) => Array.isArray(m.content))) {
        return {
          status: 422,
          message:
            'Failed to deserialize the JSON body into the target type: messages[0]: data did not match any variant of untagged enum ChatCompletionRequestContent',
        };
      }
      if (formatIs(request, 'json_schema')) {
        return { status: 400, message: 'This response_format type is unavailable now' };
      }
      return undefined;
    },
  },

  // Zhipu (open.bigmodel.cn): numbered error codes, no json_schema, no
  // developer role; tool calls arrive whole; the last chunk always has usage.
  zhipu: {
    ...base,
    toolCalls: 'whole',
    streamUsage: 'always',
    errorBody: ({ message, code }) => ({ error: { code: code ?? '1210', message } }),
    refusal(request) {
      if (roleIs(request, 'developer')) {
        return { status: 400, code: '1214', message: 'messages[0].role 参数非法。请检查文档。' };
      }
      if (formatIs(request, 'json_schema')) {
        return { status: 400, code: '1210', message: 'API 调用参数有误，请检查文档。' };
      }
      return undefined;
    },
  },

  // Baidu Qianfan v2: OpenAI-shaped request, its own error codes, no developer role.
  qianfan: {
    ...base,
    errorBody: ({ message, code, type }) => ({
      error: { code: code ?? 'invalid_argument', message, type: type ?? 'invalid_request_error' },
      id: 'as-fake',
    }),
    refusal(request) {
      if (roleIs(request, 'developer')) {
        return { status: 400, code: 'invalid_argument', message: 'invalid role: developer' };
      }
      return undefined;
    },
  },
};

export function profileRules(profile: FakeProfile = 'openai'): ProfileRules {
  return rules[profile];
}

/** JSON as this server writes it. */
export function serialize(value: unknown, profile: ProfileRules): string {
  const json = JSON.stringify(value);
  if (!profile.escapeHtml) return json;
  return json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
