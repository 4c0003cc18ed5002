// One model call of a run: opens the stream, turns chunks into content and
// reasoning events, assembles tool calls and audio, and adds up usage.
import { AgentRpcError, toAgentRpcError } from '../errors.ts';
import type { AudioOutput, ToolCall } from '../message/types.ts';
import { toProviderError } from '../model/provider-error.ts';
import type { ChatCompletionChunk, ModelRequest } from '../model/types.ts';
import { type ActiveRun, nextEvent } from './active-run.ts';
import { type AssistantTurn, recordTurn } from './assistant-turn.ts';
import { cacheKeyOf, replayCached } from './response-cache.ts';
import { downgrade, schemaInstruction } from './structured-mode.ts';
import { ThinkTagSplitter } from './think-tag-splitter.ts';
import { endSpan, startSpan } from './tracing.ts';
import { addEstimatedUsage, charsOfMessages } from './usage-estimate.ts';

export type { AssistantTurn };

type ChunkDelta = ChatCompletionChunk.Choice.Delta & {
  reasoning_content?: string | null;
  audio?: { id?: string; data?: string; transcript?: string };
};

/** Aborts the run when no chunk arrived for the model's timeout. */
function startWatchdog(run: ActiveRun): () => void {
  const timeout = run.model.timeoutMs;
  let lastTicks = -1;
  let quietSince = performance.now();
  const timer = setInterval(
    () => {
      if (run.ticks !== lastTicks) {
        lastTicks = run.ticks;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= timeout) {
        run.timedOut = true;
        run.controller.abort();
      }
    },
    Math.max(10, Math.min(1000, timeout / 4)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

function addUsage(run: ActiveRun, usage: ChatCompletionChunk['usage']) {
  if (!usage) return;
  const m = run.output.metrics;
  m.inputTokens += usage.prompt_tokens ?? 0;
  m.outputTokens += usage.completion_tokens ?? 0;
  m.totalTokens +=
    usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
  m.cachedTokens += usage.prompt_tokens_details?.cached_tokens ?? 0;
  m.reasoningTokens += usage.completion_tokens_details?.reasoning_tokens ?? 0;
}

export function classifyRunError(run: ActiveRun, error: unknown): AgentRpcError {
  if (run.timedOut) {
    return new AgentRpcError(
      'PROVIDER_TIMEOUT',
      `${run.model.quirks.name} sent nothing for ${run.model.timeoutMs} ms; retry, or raise the model's timeout`,
      { cause: error },
    );
  }
  if (run.controller.signal.aborted) {
    // Aborted by agentrpc itself (lease lost, reader gone): keep that reason.
    const reason: unknown = run.controller.signal.reason;
    if (reason instanceof AgentRpcError) return reason;
    return new AgentRpcError('CANCELLED', 'The run was cancelled', { cause: error });
  }
  return toAgentRpcError(error);
}

const worthAFallback = new Set(['PROVIDER_ERROR', 'PROVIDER_TIMEOUT', 'RATE_LIMITED']);

/**
 * Opens the model's stream; when the provider fails before any output, tries
 * the agent's fallback models in order (announcing each switch). Nothing is
 * retried once output has streamed: that would repeat text.
 */
async function openStream(
  run: ActiveRun,
  firstRequest: ModelRequest,
): Promise<AsyncIterable<ChatCompletionChunk>> {
  let request = firstRequest;
  for (;;) {
    try {
      return await run.model.streamChunks(request);
    } catch (error) {
      const failure = toProviderError(error, run.model.quirks.name);
      // A provider that refuses the response_format: the same model, asked another way.
      const schema = run.outputSchema;
      const downgraded = downgrade(run.model, { request, failure, schema });
      if (downgraded && schema) {
        run.emit(
          nextEvent(run, {
            type: 'model.fallback',
            from: request.responseFormat?.type ?? 'text',
            to: downgraded.mode,
            code: failure.code,
            message: failure.message,
          }),
        );
        run.responseFormat = downgraded.request.responseFormat;
        if (request.responseFormat?.type === 'json_schema') {
          run.prompt = [{ role: 'system', content: schemaInstruction(schema) }, ...run.prompt];
        }
        request = downgraded.request;
        continue;
      }
      const next = run.fallbackModels[0];
      if (!next || run.controller.signal.aborted || !worthAFallback.has(failure.code))
        throw failure;
      run.emit(
        nextEvent(run, {
          type: 'model.fallback',
          from: run.model.id,
          to: next.id,
          code: failure.code,
          message: failure.message,
        }),
      );
      run.fallbackModels = run.fallbackModels.slice(1);
      run.model = next;
      run.output.model = next.id;
    }
  }
}

export async function modelStep(run: ActiveRun): Promise<AssistantTurn> {
  const output = run.output;
  const runId = output.runId;
  const emitDelta = (type: 'run.content' | 'run.reasoning', delta: string) => {
    if (!run.mergeDelta(type, delta)) {
      run.emit({ type, runId, seq: ++output.lastSeq, createdAt: Date.now(), delta });
    }
  };
  const splitter = new ThinkTagSplitter();
  const toolCalls: ToolCall[] = [];
  let reasoning = '';
  let finishReason: string | null = null;
  let audio: AudioOutput | undefined;
  const request: ModelRequest = {
    messages: run.prompt.concat(output.messages),
    tools: run.toolSpecs,
    toolChoice: run.toolCallCount >= run.toolCallLimit ? 'none' : run.toolChoice,
    responseFormat: run.responseFormat,
    signal: run.controller.signal,
  };
  const cacheKey = cacheKeyOf(run, request);
  const cached = cacheKey ? await run.cache?.store.getCachedResponse(cacheKey) : null;
  if (cached) return replayCached(run, cached);
  const stopWatchdog = startWatchdog(run);
  output.metrics.modelCalls += 1;
  const inputBefore = output.metrics.inputTokens;
  const outputBefore = output.metrics.outputTokens;
  const span = startSpan(
    'agentrpc.model_call',
    { 'gen_ai.system': run.model.quirks.name, 'gen_ai.request.model': run.model.id },
    run.span,
  );
  let failure: { code: string; message: string } | undefined;
  let sawUsage = false;
  let chunks = 0;
  /** Characters the model sent, for an estimate when it sends no usage. */
  let outputChars = 0;
  try {
    const stream = await openStream(run, request);
    for await (const chunk of stream) {
      run.ticks++;
      chunks++;
      if (chunk.usage) {
        sawUsage = true;
        addUsage(run, chunk.usage);
      }
      // Azure sends chunks with no choices, or a choice with no delta, to carry content-filter results.
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const delta = (choice.delta ?? {}) as ChunkDelta;
      if (delta.content) {
        outputChars += delta.content.length;
        const part = splitter.push(delta.content);
        if (part.reasoning) {
          reasoning += part.reasoning;
          emitDelta('run.reasoning', part.reasoning);
        }
        if (part.content) {
          output.metrics.timeToFirstTokenMs ??= Math.round(performance.now() - run.startedAt);
          emitDelta('run.content', part.content);
        }
      }
      if (delta.reasoning_content) {
        outputChars += delta.reasoning_content.length;
        reasoning += delta.reasoning_content;
        emitDelta('run.reasoning', delta.reasoning_content);
      }
      if (delta.tool_calls) {
        for (const part of delta.tool_calls) {
          let call = toolCalls[part.index];
          if (!call) {
            call = { id: '', name: '', arguments: '' };
            toolCalls[part.index] = call;
          }
          // llama.cpp repeats the id, type and whole name in every chunk of a call;
          // OpenAI sends them once. A chunk naming the id already seen repeats the name.
          const repeated = part.id !== undefined && part.id === call.id;
          if (part.id) call.id = part.id;
          if (part.function?.name) {
            call.name = repeated ? part.function.name : call.name + part.function.name;
          }
          if (part.function?.arguments) {
            outputChars += part.function.arguments.length;
            call.arguments += part.function.arguments;
          }
        }
      }
      if (delta.audio) {
        audio ??= { id: delta.audio.id ?? '', data: '', transcript: '' };
        if (delta.audio.data) audio.data += delta.audio.data;
        if (delta.audio.transcript) audio.transcript += delta.audio.transcript;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    if (!sawUsage) {
      const input = charsOfMessages(request.messages);
      addEstimatedUsage(output.metrics, { input, output: outputChars });
    }
  } catch (error) {
    const thrown =
      run.timedOut || run.controller.signal.aborted
        ? classifyRunError(run, error)
        : toProviderError(error, run.model.quirks.name);
    failure = thrown;
    throw thrown;
  } finally {
    stopWatchdog();
    endSpan(span, {
      ...(failure ? { error: failure } : {}),
      attributes: {
        'gen_ai.response.model': run.model.id,
        'gen_ai.usage.input_tokens': output.metrics.inputTokens - inputBefore,
        'gen_ai.usage.output_tokens': output.metrics.outputTokens - outputBefore,
      },
    });
  }
  const tail = splitter.end();
  if (tail.reasoning) {
    reasoning += tail.reasoning;
    emitDelta('run.reasoning', tail.reasoning);
  }
  if (tail.content) emitDelta('run.content', tail.content);
  if (finishReason === null) {
    const name = run.model.quirks.name;
    throw new AgentRpcError(
      'PROVIDER_ERROR',
      chunks === 0
        ? `${name} answered with an empty stream (no events, no [DONE]); check the server's logs`
        : `${name} ended the stream before the answer was finished (connection cut?)`,
    );
  }
  if (audio) output.audio = audio;
  const turn = recordTurn(run, {
    content: splitter.content || audio?.transcript || '',
    reasoning,
    toolCalls: toolCalls.filter(Boolean),
  });
  if (cacheKey && run.cache && !audio) {
    await run.cache.store.putCachedResponse(cacheKey, { ...turn, reasoning }, run.cache.ttlMs);
  }
  return turn;
}
