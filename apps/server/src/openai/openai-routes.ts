// The OpenAI-compatible facade on the API port: GET /v1/models lists the
// agents as models, POST /v1/chat/completions runs one (chat-completions.ts).
// Same credentials and rate limit as the tRPC API, and the same early refusal
// of new runs while the process refuses them (run/early-refusals.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../trpc/context.ts';
import { chatCompletions } from './chat-completions.ts';
import { sendOpenAIError, toOpenAIError } from './openai-errors.ts';
import { bearer } from './request-body.ts';

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
  if (route === chatCompletions) {
    // Every chat completion starts a run or continues a paused one, and either
    // takes a run slot: while none may be taken, the 429 comes before the
    // credential is checked or the body read, which a saturated server would
    // otherwise do for each of the hundreds it refuses a second.
    const refusal = services.runs.refusalOfNewRun();
    if (refusal) {
      sendOpenAIError(res, toOpenAIError(refusal));
      return true;
    }
  }
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
