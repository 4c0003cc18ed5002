// POST /v1/chat/completions: each request is an ordinary agentrpc run (in
// runs.list, its events in the log), streamed as chunks or answered whole.
// The client's own tools come back to it as tool_calls; closing a stream
// cancels the run.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AgentRpcError, type RunEvent } from '@agentrpc/core';
import type { Principal } from '../auth/principal.ts';
import type { Services } from '../trpc/context.ts';
import {
  type ChatRequest,
  clientToolsOf,
  ignoredFields,
  outputSchemaOf,
  parseChatRequest,
  runInputOf,
  toolResultsOf,
} from './chat-request.ts';
import { type CompletionIds, chunksOf, completionOf, toolCallChunks } from './completion-chunks.ts';
import { writeDataFrames } from './data-frames.ts';
import { errorBody, toOpenAIError } from './openai-errors.ts';
import { bearer, checkLimits, readJson, sessionIdOf } from './request-body.ts';

/** Why a run that ended this way gave the client no answer. */
function failureOf(event: RunEvent): AgentRpcError | undefined {
  if (event.type === 'run.error') return new AgentRpcError(event.code, event.message);
  if (event.type === 'run.paused') {
    return new AgentRpcError(
      'CONFLICT',
      `the run paused for a tool call that needs approval; continue run ${event.runId} in the console or with runs.continue`,
    );
  }
  return undefined;
}

/** A run paused only on the client's own tools: its calls go back to the client. */
function handsBack(
  event: RunEvent,
  clientTools: Set<string>,
): event is Extract<RunEvent, { type: 'run.paused' }> {
  return (
    event.type === 'run.paused' &&
    event.pendingToolCalls.length > 0 &&
    event.pendingToolCalls.every((call) => clientTools.has(call.name))
  );
}

interface FollowedRun {
  runId: string;
  sessionId: string;
  /** The events before this one were answered by an earlier request. */
  afterSeq: number;
}

/**
 * Starts the run, or, when a session's request brings the results of the
 * client's tool calls, continues the run of that session waiting for them.
 */
async function runFor(
  services: Services,
  principal: Principal,
  request: { chat: ChatRequest; sessionId: string | undefined },
): Promise<FollowedRun> {
  const { chat, sessionId } = request;
  const toolResults = sessionId ? toolResultsOf(chat) : undefined;
  if (sessionId && toolResults) {
    const [paused] = await services.store.listRuns({
      userId: principal.userId,
      sessionId,
      status: 'paused',
      order: 'desc',
      limit: 1,
    });
    if (!paused) {
      throw new AgentRpcError(
        'BAD_INPUT',
        `tool results, but no run of session ${sessionId} waits for them`,
      );
    }
    const { runId, agentId, lastSeq } = paused;
    await services.runs.continue(principal, { agentId, runId, decisions: { toolResults } });
    return { runId, sessionId, afterSeq: lastSeq };
  }
  const input = runInputOf(chat, sessionId !== undefined);
  checkLimits(input, services);
  const clientTools = clientToolsOf(chat);
  const outputJsonSchema = outputSchemaOf(chat);
  const started = await services.runs.start(principal, {
    agentId: chat.model,
    input,
    options: {
      ...(sessionId ? { sessionId } : {}),
      ...(clientTools.length ? { clientTools } : {}),
      ...(outputJsonSchema ? { outputJsonSchema } : {}),
    },
  });
  return { ...started, afterSeq: 0 };
}

export async function chatCompletions(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
) {
  const principal: Principal = await services.authenticate(bearer(req));
  services.rateLimiter.take(principal.userId);
  const chat = parseChatRequest(await readJson(req, services.limits.maxRequestBytes));
  if (!services.agents.list().some((agent) => agent.id === chat.model)) {
    throw new AgentRpcError(
      'NOT_FOUND',
      `the model \`${chat.model}\` does not exist: it names no agent here`,
    );
  }
  const sessionId = sessionIdOf(req, chat.metadata);
  const run = await runFor(services, principal, { chat, sessionId });
  const { runId } = run;
  const clientTools = new Set(clientToolsOf(chat).map((tool) => tool.name));
  let answered = false;
  const controller = new AbortController();
  /** Ends the run: the client hung up, or (without a session) took its tool calls away. */
  const cancel = () =>
    services.runs.cancel(principal, runId).catch((error: unknown) => {
      services.logger.warn({ runId, err: error }, 'could not cancel a run of the /v1 facade');
    });
  res.on('close', () => {
    if (answered) return;
    controller.abort();
    void cancel();
  });
  const events = await services.runs.events({
    userId: principal.userId,
    runId,
    afterSeq: run.afterSeq,
    signal: controller.signal,
  });
  const ids: CompletionIds = {
    id: `chatcmpl-${runId}`,
    model: chat.model,
    created: Math.floor(Date.now() / 1000),
  };
  const ignored = ignoredFields(chat);
  const headers = {
    'x-agentrpc-run-id': runId,
    'x-session-id': run.sessionId,
    ...(ignored.length ? { 'x-agentrpc-ignored': ignored.join(', ') } : {}),
  };
  // Without a session a paused run has no one to continue it: the next request starts afresh.
  const settle = (event: RunEvent) => {
    answered = true;
    if (handsBack(event, clientTools) && !sessionId) void cancel();
  };
  if (chat.stream) {
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    const includeUsage = chat.stream_options?.include_usage === true;
    const framesOf = (event: RunEvent) => {
      if (handsBack(event, clientTools)) return toolCallChunks(event.output, ids, includeUsage);
      const chunks = chunksOf(event, ids, includeUsage);
      const failure = failureOf(event);
      return failure ? [...chunks, errorBody(toOpenAIError(failure))] : chunks;
    };
    const stallMs = services.limits.streamStallMs;
    const last = await writeDataFrames(res, events, { framesOf, stallMs });
    if (last) settle(last);
    answered = true;
    res.end('data: [DONE]\n\n');
    return;
  }
  let last: RunEvent | undefined;
  for await (const event of events) last = event;
  answered = true;
  if (last) settle(last);
  if (last?.type === 'run.completed' || (last && handsBack(last, clientTools))) {
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(completionOf(last.output, ids)));
    return;
  }
  throw last
    ? (failureOf(last) ?? new AgentRpcError('CANCELLED', 'the run was cancelled'))
    : new AgentRpcError('INTERNAL', 'the run ended without an answer');
}
