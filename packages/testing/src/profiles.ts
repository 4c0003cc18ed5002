// How the fake server differs from OpenAI when it plays another server. Each
// profile reproduces what that server really does, from its docs and source;
// the presets in @agentrpc/core are tested against them.
//
// llama.cpp (its own server and llama-cpp-python's `llama_cpp.server`):
// - a streamed tool call repeats `id`, `type` and the whole function `name` in
//   every chunk, with the next piece of the arguments;
// - streams carry no `usage`, whatever `stream_options` asks;
// - `response_format: json_schema` is refused with a 500;
// - an assistant message with `content: null` is refused with a 500.
import type { RecordedRequest } from './fake-openai-server.ts';

export type FakeProfile = 'openai' | 'llama.cpp';

export interface ProfileRules {
  /** Every tool-call chunk repeats id, type and the whole name. */
  repeatToolCallHeader: boolean;
  /** Streams never carry usage. */
  omitStreamUsage: boolean;
  /** The request this server refuses, and the message it refuses it with; undefined when it takes it. */
  refusal(request: RecordedRequest): string | undefined;
}

const openai: ProfileRules = {
  repeatToolCallHeader: false,
  omitStreamUsage: false,
  refusal: () => undefined,
};

interface SentMessage {
  role?: string;
  content?: unknown;
}

const llamaCpp: ProfileRules = {
  repeatToolCallHeader: true,
  omitStreamUsage: true,
  refusal(request) {
    const body = request.body as
      | { response_format?: { type?: string }; messages?: SentMessage[] }
      | undefined;
    if (body?.response_format?.type === 'json_schema') {
      return 'response_format json_schema is not supported';
    }
    if (body?.messages?.some((m) => m.role === 'assistant' && m.content === null)) {
      return "'NoneType' object has no attribute 'strip' (assistant content is null)";
    }
    return undefined;
  },
};

export function profileRules(profile: FakeProfile = 'openai'): ProfileRules {
  return profile === 'llama.cpp' ? llamaCpp : openai;
}
