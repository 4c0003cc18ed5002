// What POST /v1/chat/completions takes, checked with zod, and how it becomes an
// agentrpc run's input, its client tools and its output schema. Fields agentrpc cannot honour are refused with a clear
// 400, never silently ignored; sampling fields (temperature, max_tokens, …) are
// the agent's own model settings, so they are accepted and named back in the
// `x-agentrpc-ignored` header.
import { AgentRpcError, type ContentPart, type Message, type ToolSpec } from '@agentrpc/core';
import { z } from 'zod';
import { id, json } from '../routers/schemas.ts';

const text = z.string().max(1_000_000);
const part = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text }),
  z.object({
    type: z.literal('image_url'),
    image_url: z.object({
      url: z.string().max(12_000_000),
      detail: z.enum(['auto', 'low', 'high']).optional(),
    }),
  }),
]);
const content = z.union([text, z.array(part).max(100)]);
const toolCall = z.object({
  id: z.string().max(200),
  type: z.literal('function'),
  function: z.object({ name: z.string().max(200), arguments: z.string().max(1_000_000) }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content, name: z.string().max(64).optional() }),
  z.object({ role: z.literal('developer'), content, name: z.string().max(64).optional() }),
  z.object({ role: z.literal('user'), content, name: z.string().max(64).optional() }),
  z.object({
    role: z.literal('assistant'),
    content: content.nullish(),
    tool_calls: z.array(toolCall).max(100).optional(),
    reasoning_content: z.string().nullish(),
    name: z.string().max(64).optional(),
  }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().max(200) }),
]);

/** Taken and ignored: the agent's model decides them. */
export const samplingFields = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'stop',
  'user',
  'store',
  'service_tier',
  'parallel_tool_calls',
  'reasoning_effort',
] as const;

const functionTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w-]+$/, 'letters, digits, _ and - only'),
    description: z.string().max(4000).optional(),
    parameters: json.optional(),
    strict: z.boolean().nullish(),
  }),
});

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().max(64),
      schema: json.optional(),
      strict: z.boolean().nullish(),
      description: z.string().max(4000).optional(),
    }),
  }),
]);

export const chatRequest = z.strictObject({
  model: id,
  messages: z.array(message).min(1).max(1000),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  metadata: json.optional(),
  tools: z.array(functionTool).max(128).optional(),
  tool_choice: z
    .literal('auto', "tool_choice: only 'auto' is supported (the agent decides when to call)")
    .nullish(),
  response_format: responseFormat.nullish(),
  n: z.literal(1, 'n > 1 is not supported: an agent gives one answer per run').nullish(),
  logprobs: z.literal(false, 'logprobs are not supported by agents').nullish(),
  ...Object.fromEntries(samplingFields.map((field) => [field, z.unknown().optional()])),
});

export type ChatRequest = z.infer<typeof chatRequest>;
type ChatMessage = z.infer<typeof message>;

/** The request, or BAD_INPUT naming the field that is wrong (or not supported). */
export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = chatRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') || '(body)';
  const unknown = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
  throw new AgentRpcError(
    'BAD_INPUT',
    unknown
      ? `not supported: ${unknown} (agentrpc agents take model, messages, stream, stream_options, metadata and sampling fields)`
      : `${path}: ${issue?.message ?? 'invalid'}`,
  );
}

function contentOf(value: ChatMessage['content']): string | ContentPart[] | null {
  if (value === undefined || value === null || typeof value === 'string') return value ?? null;
  return value.map(
    (p): ContentPart =>
      p.type === 'text'
        ? { type: 'text', text: p.text }
        : {
            type: 'image',
            image: p.image_url.detail
              ? { url: p.image_url.url, detail: p.image_url.detail }
              : p.image_url.url,
          },
  );
}

function toMessage(m: ChatMessage): Message {
  switch (m.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: contentOf(m.content) ?? '',
        ...(m.tool_calls?.length
          ? {
              toolCalls: m.tool_calls.map((call) => ({
                id: call.id,
                name: call.function.name,
                arguments: call.function.arguments,
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', content: contentOf(m.content), toolCallId: m.tool_call_id };
    default:
      return {
        role: m.role,
        content: contentOf(m.content),
        ...('name' in m && m.name ? { name: m.name } : {}),
      };
  }
}

/**
 * The run's input. Without a session the messages are the whole conversation,
 * as OpenAI takes them; in a session only what came after the last answer is
 * new (the session holds the rest).
 */
export function runInputOf(request: ChatRequest, inSession: boolean): Message[] {
  const messages = request.messages.map(toMessage);
  if (!inSession) return messages;
  const lastAnswer = messages.findLastIndex((m) => m.role === 'assistant');
  const fresh = messages.slice(lastAnswer + 1);
  if (!fresh.some((m) => m.role === 'user' || m.role === 'tool')) {
    throw new AgentRpcError('BAD_INPUT', 'messages: nothing new after the last assistant one');
  }
  return fresh;
}

/** The client's own tools, which the run hands back to it as tool_calls. */
export function clientToolsOf(request: ChatRequest): ToolSpec[] {
  return (request.tools ?? []).map(({ function: fn }) => ({
    name: fn.name,
    description: fn.description ?? '',
    parameters: fn.parameters ?? { type: 'object', properties: {} },
  }));
}

/** The JSON schema the answer must match, from response_format. */
export function outputSchemaOf(
  request: ChatRequest,
): { name: string; schema: Record<string, unknown> } | undefined {
  const format = request.response_format;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { name: 'json_object', schema: { type: 'object' } };
  return { name: format.json_schema.name, schema: format.json_schema.schema ?? { type: 'object' } };
}

/** Results for the client's tool calls: the `tool` messages after the last assistant one. */
export function toolResultsOf(request: ChatRequest): Record<string, unknown> | undefined {
  const lastAnswer = request.messages.findLastIndex((m) => m.role === 'assistant');
  const results: Record<string, unknown> = {};
  for (const m of request.messages.slice(lastAnswer + 1)) {
    if (m.role !== 'tool') continue;
    results[m.tool_call_id] =
      typeof m.content === 'string'
        ? m.content
        : m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  }
  return Object.keys(results).length ? results : undefined;
}

/** The sampling fields the request set, which the agent's own model settings override. */
export function ignoredFields(request: ChatRequest): string[] {
  return samplingFields.filter((field) => (request as Record<string, unknown>)[field] != null);
}
