// A real HTTP server that speaks the OpenAI Chat Completions API from a script,
// so agents can be tested offline, over the wire, with the real openai SDK.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CompletionContext, completionBody, completionChunks } from './chunks.ts';
import { type FakeProfile, type ProfileRules, profileRules, serialize } from './profiles.ts';
import { type FakeCompletion, type FakeReply, isFakeError, isFakeHang } from './reply.ts';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined for a body-less request. */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON for assertions
  body: any;
}

export interface FakeOpenAIOptions {
  /** Answer used when the script queue is empty (default: a 500 saying so). */
  fallback?: (request: RecordedRequest) => FakeReply;
  /** Model ids listed by /v1/models. */
  models?: string[];
  /** Keep at most this many recorded requests (default 1,000). */
  maxRecorded?: number;
  /**
   * How long an idle connection stays open (default 1,000 ms, so tests end fast).
   * Clients reuse a connection only when this is well above their own threshold,
   * so benchmarks set it to what real providers allow.
   */
  keepAliveTimeoutMs?: number;
  /** Which server to behave like (default 'openai'); see profiles.ts. */
  profile?: FakeProfile;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>/v1`: pass as the model's baseURL. */
  readonly baseURL: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Queue replies; each chat completion request takes the next one. */
  enqueue(...replies: FakeReply[]): void;
  /** Chat completion requests only. */
  completionRequests(): RecordedRequest[];
  /** Forget queued replies and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A JSON reply: its status, body and any headers beside the content type. */
interface JsonReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function sendJson(res: ServerResponse, { status, body, headers }: JsonReply) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Where a reply goes, and the rules of the server the fake plays. */
interface Answering {
  res: ServerResponse;
  rules: ProfileRules;
}

/** A JSON reply serialised the way the fake's provider profile writes JSON. */
function sendProfileJson({ res, rules }: Answering, { status, body, headers }: JsonReply) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(serialize(body, rules));
}

function estimatePromptTokens(body: { messages?: unknown[] } | undefined): number {
  return Math.max(1, Math.ceil(JSON.stringify(body?.messages ?? []).length / 4));
}

async function streamCompletion(to: Answering, reply: FakeCompletion, ctx: CompletionContext) {
  const { res, rules } = to;
  const chunks = completionChunks(reply, ctx);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (reply.emptyBody) {
    res.end();
    return;
  }
  if (rules.keepAliveComments) res.write(': keep-alive\n\n: keep-alive\n\n');
  let sent = 0;
  // Chunks keep to a fixed schedule from the first, so the pacing does not drift when the process is busy.
  const start = performance.now();
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (reply.cutAfterChunks !== undefined && sent >= reply.cutAfterChunks) {
      // Let what was written reach the client first, then drop the connection.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    if (reply.errorAfterChunks !== undefined && sent >= reply.errorAfterChunks) {
      const error = { message: 'fake server: failed mid-stream', type: 'server_error', code: 500 };
      res.end(`data: ${serialize({ error }, rules)}\n\n`);
      return;
    }
    if (reply.chunkDelayMs) {
      await sleep(Math.max(0, start + (sent + 1) * reply.chunkDelayMs - performance.now()));
    }
    res.write(`data: ${serialize(chunk, rules)}\n\n`);
    sent++;
  }
  res.end('data: [DONE]\n\n');
}

async function answer(to: Answering, reply: FakeReply, recorded: RecordedRequest) {
  const { rules } = to;
  if (isFakeHang(reply)) return; // the client's timeout or abort ends it
  if (isFakeError(reply)) {
    const { status, message, type, code, retryAfter } = reply.error;
    const headers: Record<string, string> =
      retryAfter === undefined
        ? {}
        : { 'retry-after': String(retryAfter), 'retry-after-ms': String(retryAfter * 1000) };
    const error = { status, message: message ?? `fake error ${status}`, type, code };
    sendProfileJson(to, {
      status,
      body: rules.errorBody({ ...error, type: type ?? 'fake_error' }),
      headers,
    });
    return;
  }
  if (reply.delayMs) await sleep(reply.delayMs);
  const ctx: CompletionContext = {
    id: `chatcmpl-fake-${Math.random().toString(36).slice(2, 10)}`,
    model: recorded.body?.model ?? 'fake-model',
    created: Math.floor(Date.now() / 1000),
    includeUsage:
      rules.streamUsage === 'always' ||
      (rules.streamUsage === 'when-asked' && recorded.body?.stream_options?.include_usage === true),
    toolCalls: rules.toolCalls,
    filterAnnotations: rules.filterAnnotations,
    promptTokens: estimatePromptTokens(recorded.body),
  };
  if (recorded.body?.stream) await streamCompletion(to, reply, ctx);
  else sendProfileJson(to, { status: 200, body: completionBody(reply, ctx) });
}

/** Starts a fake OpenAI-compatible server on 127.0.0.1 and a free port. */
export async function createFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const maxRecorded = options.maxRecorded ?? 1000;
  const fallback =
    options.fallback ??
    (() => ({ error: { status: 500, message: 'fake server: no scripted reply left' } }));

  const rules = profileRules(options.profile);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = await readBody(req);
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: raw ? JSON.parse(raw) : undefined,
      };
      requests.push(request);
      if (requests.length > maxRecorded) requests.shift();
      if (request.method === 'GET' && url.pathname.endsWith('/models')) {
        const ids = options.models ?? ['fake-model'];
        sendJson(res, {
          status: 200,
          body: {
            object: 'list',
            data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
          },
        });
        return;
      }
      if (request.method === 'POST' && url.pathname.endsWith('/chat/completions')) {
        const to: Answering = { res, rules };
        // A request the server refuses is answered before it takes a scripted reply.
        const refusal = rules.refusal(request);
        if (refusal) {
          sendProfileJson(to, { status: refusal.status, body: rules.errorBody(refusal) });
          return;
        }
        await answer(to, queue.shift() ?? fallback(request), request);
        return;
      }
      sendJson(res, {
        status: 404,
        body: { error: { message: `fake server: no route ${url.pathname}` } },
      });
    } catch (error) {
      if (!res.headersSent)
        sendJson(res, { status: 400, body: { error: { message: String(error) } } });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    completionRequests: () => requests.filter((r) => r.path.endsWith('/chat/completions')),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
