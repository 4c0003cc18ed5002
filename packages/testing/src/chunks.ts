// Turns a scripted completion into Chat Completions bodies: one JSON response,
// or the list of `chat.completion.chunk` objects a streaming provider sends.
import type { FakeCompletion } from './reply.ts';

export interface CompletionContext {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  /** Every tool-call chunk repeats id, type and the whole name (llama.cpp). */
  repeatToolCallHeader?: boolean;
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

export function completionChunks(reply: FakeCompletion, ctx: CompletionContext): object[] {
  const size = reply.chunkSize ?? 8;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const out: object[] = [chunk({ role: 'assistant', content: '' })];
  for (const part of split(reply.reasoning ?? '', size))
    out.push(chunk({ reasoning_content: part }));
  for (const part of split(textOf(reply), size)) out.push(chunk({ content: part }));
  for (const call of toolCallsOf(reply)) {
    out.push(
      chunk({
        tool_calls: [
          {
            index: call.index,
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
      }),
    );
    for (const part of split(call.arguments, size)) {
      const header = ctx.repeatToolCallHeader
        ? { id: call.id, type: 'function', function: { name: call.name, arguments: part } }
        : { function: { arguments: part } };
      out.push(chunk({ tool_calls: [{ index: call.index, ...header }] }));
    }
  }
  if (reply.audio) {
    const id = reply.audio.id ?? 'audio_1';
    for (const part of split(reply.audio.data, Math.max(size, 64))) {
      out.push(chunk({ audio: { id, data: part } }));
    }
    if (reply.audio.transcript)
      out.push(chunk({ audio: { id, transcript: reply.audio.transcript } }));
  }
  const completionCount = out.length - 1;
  out.push(chunk({}, finishReasonOf(reply)));
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
