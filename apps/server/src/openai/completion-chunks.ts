// A run's events as Chat Completions: `chat.completion.chunk`s while it
// streams (content and reasoning_content deltas; the agent's own tool calls stay
// on the server), and one `chat.completion` when the client did not stream.
import type { RunEvent, RunOutput } from '@agentrpc/core';

export interface CompletionIds {
  id: string;
  model: string;
  created: number;
}

export function usageOf(output: RunOutput) {
  const m = output.metrics;
  return {
    prompt_tokens: m.inputTokens,
    completion_tokens: m.outputTokens,
    total_tokens: m.totalTokens,
    prompt_tokens_details: { cached_tokens: m.cachedTokens },
    completion_tokens_details: { reasoning_tokens: m.reasoningTokens },
  };
}

function chunk(ids: CompletionIds, delta: Record<string, unknown>, finish: string | null = null) {
  return {
    ...ids,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The chunks one event becomes (none for events a client has no use for). */
export function chunksOf(event: RunEvent, ids: CompletionIds, includeUsage: boolean): object[] {
  switch (event.type) {
    case 'run.started':
    case 'run.continued':
      return [chunk(ids, { role: 'assistant', content: '' })];
    case 'run.content':
      return [chunk(ids, { content: event.delta })];
    case 'run.reasoning':
      return [chunk(ids, { reasoning_content: event.delta })];
    case 'run.completed':
    case 'run.cancelled': {
      const done: object[] = [chunk(ids, {}, 'stop')];
      const usage = {
        ...ids,
        object: 'chat.completion.chunk',
        choices: [],
        usage: usageOf(event.output),
      };
      if (includeUsage) done.push(usage);
      return done;
    }
    default:
      return [];
  }
}

type Pending = NonNullable<RunOutput['pendingToolCalls']>;

function toolCallsOf(pending: Pending) {
  return pending.map((call, index) => ({
    index,
    id: call.id,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments: typeof call.args === 'string' ? call.args : JSON.stringify(call.args),
    },
  }));
}

/** A run paused on the client's tools, streamed: the calls, then finish_reason tool_calls. */
export function toolCallChunks(
  output: RunOutput,
  ids: CompletionIds,
  includeUsage: boolean,
): object[] {
  const out: object[] = [
    chunk(ids, { tool_calls: toolCallsOf(output.pendingToolCalls ?? []) }),
    chunk(ids, {}, 'tool_calls'),
  ];
  if (includeUsage)
    out.push({ ...ids, object: 'chat.completion.chunk', choices: [], usage: usageOf(output) });
  return out;
}

/** A run's answer as one `chat.completion`: its text, or (paused on the client's tools) its calls. */
export function completionOf(output: RunOutput, ids: CompletionIds) {
  const calls = toolCallsOf(output.pendingToolCalls ?? []).map(
    ({ index: _index, ...call }) => call,
  );
  const handsBack = output.status === 'paused' && calls.length > 0;
  return {
    ...ids,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: handsBack ? output.content || null : output.content,
          refusal: null,
          ...(output.reasoningContent ? { reasoning_content: output.reasoningContent } : {}),
          ...(handsBack ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: handsBack ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageOf(output),
  };
}
