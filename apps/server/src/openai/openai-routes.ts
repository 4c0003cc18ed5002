// The OpenAI-compatible facade on the API port: GET /v1/models lists the
// agents as models, POST /v1/chat/completions runs one. Same credentials,
// rate limit and run limits as the tRPC API; each request is an ordinary
// agentrpc run (in runs.list, its events in the log). Closing a stream cancels it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AgentRpcError, type Message, type RunEvent } from '@agentrpc/core';
import type { Principal } from '../auth/principal.ts';
import { id } from '../routers/schemas.ts';
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
import { errorBody, sendOpenAIError, toOpenAIError } from './openai-errors.ts';

function bearer(req: IncomingMessage): string | undefined {
  return req.headers.authorization;
}

/** The request body as JSON, refused past `maxBytes` (413) or when it is not JSON (400). */
function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > maxBytes) {
        reject(
          Object.assign(new AgentRpcError('BAD_INPUT', `body over ${maxBytes} bytes`), {
            tooLarge: true,
          }),
        );
        req.destroy();
        return;
      }
      parts.push(part);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new AgentRpcError('BAD_INPUT', 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** The text characters and images of the input, held to the server's run limits. */
function checkLimits(input: Message[], services: Services): void {
  let chars = 0;
  let images = 0;
  for (const { content } of input) {
    if (typeof content === 'string') chars += content.length;
    else
      for (const part of content ?? []) {
        if (part.type === 'text') chars += part.text.length;
        else images++;
      }
  }
  const { maxInputChars, maxAttachments } = services.limits;
  if (chars > maxInputChars) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `messages have ${chars} characters; the limit is ${maxInputChars}`,
    );
  }
  if (images > maxAttachments) {
    throw new AgentRpcError(
      'BAD_INPUT',
      `${images} images; the limit is ${maxAttachments} per run`,
    );
  }
}

/** The agentrpc session to run in: the X-Session-Id header, else metadata.session_id. */
function sessionIdOf(req: IncomingMessage, metadata: Record<string, unknown> | undefined) {
  const value = req.headers['x-session-id'] ?? metadata?.session_id;
  if (value === undefined) return undefined;
  const parsed = id.safeParse(value);
  if (!parsed.success)
    throw new AgentRpcError('BAD_INPUT', 'X-Session-Id: letters, digits, _ . : - only');
  return parsed.data;
}

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

async function chatCompletions(req: IncomingMessage, res: ServerResponse, services: Services) {
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
    let last: RunEvent | undefined;
    for await (const event of events) {
      last = event;
      const chunks = handsBack(event, clientTools)
        ? toolCallChunks(event.output, ids, includeUsage)
        : chunksOf(event, ids, includeUsage);
      for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      const failure = handsBack(event, clientTools) ? undefined : failureOf(event);
      if (failure) res.write(`data: ${JSON.stringify(errorBody(toOpenAIError(failure)))}\n\n`);
    }
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

async function models(req: IncomingMessage, res: ServerResponse, services: Services) {
  const principal = await services.authenticate(bearer(req));
  services.rateLimiter.take(principal.userId);
  const data = services.agents.list().map((agent) => ({
    id: agent.id,
    object: 'model',
    created: 0,
    owned_by: 'agentrpc',
  }));
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ object: 'list', data }));
}

/** Answers /v1/… requests; false for a path the facade does not have. */
export function serveOpenAI(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
): boolean {
  const path = (req.url ?? '').split('?')[0];
  const route =
    path === '/v1/models' && req.method === 'GET'
      ? models
      : path === '/v1/chat/completions' && req.method === 'POST'
        ? chatCompletions
        : undefined;
  if (!route) {
    sendOpenAIError(res, {
      status: 404,
      type: 'invalid_request_error',
      code: 'unknown_url',
      message: `no route ${req.method} ${path}: the facade has GET /v1/models and POST /v1/chat/completions`,
    });
    return true;
  }
  route(req, res, services).catch((error: unknown) => {
    const tooLarge = (error as { tooLarge?: boolean }).tooLarge === true;
    const failure = toOpenAIError(error);
    // Run failures are logged where the run ends; only the facade's own are logged here.
    if (failure.status === 500)
      services.logger.error({ err: error }, 'openai facade request failed');
    sendOpenAIError(res, tooLarge ? { ...failure, status: 413 } : failure);
  });
  return true;
}
