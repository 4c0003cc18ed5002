// Turns a scripted completion into Chat Completions bodies: one JSON response,
// or the list of `chat.completion.chunk` objects a streaming provider sends.
import type { FakeCompletion } from './reply.ts';

export interface CompletionContext {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  /** How tool calls stream (see ProfileRules.toolCalls); default 'incremental'. */
  toolCalls?: 'incremental' | 'repeat-header' | 'whole';
  /** Azure's content-filter annotations (see ProfileRules.filterAnnotations). */
  filterAnnotations?: boolean;
  promptTokens: number;
}

function split(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function textOf(reply: FakeCompletion): string {
  if (reply.json !== undefined) return JSON.stringify(reply.json);
  return reply.text ?? '';
}

function toolCallsOf(reply: FakeCompletion) {
  return (reply.toolCalls ?? []).map((call, index) => ({
    index,
    id: call.id ?? `call_${index}_${call.name}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
}

function finishReasonOf(reply: FakeCompletion): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
}

function usageOf(reply: FakeCompletion, ctx: CompletionContext, completionChunks: number) {
  const prompt = reply.usage?.promptTokens ?? ctx.promptTokens;
  const completion = reply.usage?.completionTokens ?? Math.max(1, completionChunks);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: reply.usage?.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: reply.usage?.reasoningTokens ?? 0 },
  };
}

export function completionBody(reply: FakeCompletion, ctx: CompletionContext) {
  const text = textOf(reply);
  const toolCalls = toolCallsOf(reply);
  const message: Record<string, unknown> = { role: 'assistant', content: text || null };
  if (reply.reasoning) message.reasoning_content = reply.reasoning;
  if (toolCalls.length) {
    message.tool_calls = toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  if (reply.audio) {
    message.audio = {
      id: reply.audio.id ?? 'audio_1',
      data: reply.audio.data,
      transcript: reply.audio.transcript ?? '',
      expires_at: ctx.created + 3600,
    };
  }
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(reply) }],
    usage: usageOf(reply, ctx, Math.ceil(text.length / 4)),
  };
}

const safe = { filtered: false, severity: 'safe' };
const filterResults = { hate: safe, self_harm: safe, sexual: safe, violence: safe };

/** The deltas that carry the tool calls, streamed as ctx.toolCalls says. */
function toolCallDeltas(reply: FakeCompletion, ctx: CompletionContext, size: number) {
  const deltas: Record<string, unknown>[] = [];
  for (const call of toolCallsOf(reply)) {
    const header = { index: call.index, id: call.id, type: 'function' };
    if (ctx.toolCalls === 'whole') {
      const fn = { name: call.name, arguments: call.arguments };
      deltas.push({ tool_calls: [{ ...header, function: fn }] });
      continue;
    }
    deltas.push({ tool_calls: [{ ...header, function: { name: call.name, arguments: '' } }] });
    for (const part of split(call.arguments, size)) {
      if (ctx.toolCalls === 'repeat-header') {
        // llama-cpp-python also sends the legacy function_call beside tool_calls.
        const fn = { name: call.name, arguments: part };
        deltas.push({ tool_calls: [{ ...header, function: fn }], function_call: fn });
      } else {
        deltas.push({ tool_calls: [{ index: call.index, function: { arguments: part } }] });
      }
    }
  }
  return deltas;
}

export function completionChunks(reply: FakeCompletion, ctx: CompletionContext): object[] {
  const size = reply.chunkSize ?? 8;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.model,
    system_fingerprint: 'fp_fake',
    choices: [
      {
        index: 0,
        delta,
        logprobs: null,
        finish_reason: finishReason,
        ...(ctx.filterAnnotations ? { content_filter_results: filterResults } : {}),
      },
    ],
  });
  const out: object[] = [];
  if (ctx.filterAnnotations) {
    out.push({
      id: '',
      object: '',
      created: 0,
      model: '',
      choices: [],
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterResults }],
    });
  }
  out.push(chunk({ role: 'assistant', content: '' }));
  for (const part of split(reply.reasoning ?? '', size))
    out.push(chunk({ reasoning_content: part }));
  for (const part of split(textOf(reply), size)) out.push(chunk({ content: part }));
  for (const delta of toolCallDeltas(reply, ctx, size)) out.push(chunk(delta));
  if (reply.audio) {
    const id = reply.audio.id ?? 'audio_1';
    for (const part of split(reply.audio.data, Math.max(size, 64))) {
      out.push(chunk({ audio: { id, data: part } }));
    }
    if (reply.audio.transcript)
      out.push(chunk({ audio: { id, transcript: reply.audio.transcript } }));
  }
  const completionCount = out.length - 1;
  if (!reply.omitFinishReason) out.push(chunk({}, finishReasonOf(reply)));
  if (ctx.filterAnnotations) {
    // The closing annotation: a choice with filter results and offsets but no delta.
    out.push({
      id: ctx.id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.model,
      choices: [
        {
          index: 0,
          finish_reason: null,
          content_filter_results: filterResults,
          content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 1 },
        },
      ],
    });
  }
  if (ctx.includeUsage) {
    out.push({
      id: ctx.id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.model,
      choices: [],
      usage: usageOf(reply, ctx, completionCount),
    });
  }
  return out;
}
