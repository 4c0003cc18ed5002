// Serves subscriptions over Server-Sent Events straight onto the Node response,
// in the wire format tRPC's httpSubscriptionLink reads: a `connected` event,
// `id:` + `data:` per tracked event, `ping` when quiet, then `return` or
// `serialized-error`. The procedure itself still runs through tRPC (createCaller:
// middleware, input validation, error formatting); only the framing is here.
// The caller is authenticated before the input is read, and an input nested
// too deeply is refused before it is parsed. A new run a saturated server
// refuses is refused before either (refuseBeforeAuth).
// tRPC's fetch adapter passes every event through several web-stream layers,
// which cost a run stream about a millisecond to its first token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { consumeFeed } from '@agentrpc/core/internal';
import {
  type AnyRouter,
  getTRPCErrorFromUnknown,
  isTrackedEnvelope,
  TRPCError,
} from '@trpc/server';
import { answerRefusals } from './call-refusal.ts';
import { drained } from './drained.ts';
import { textNestsDeeperThan } from './json-depth.ts';
import { callProcedure, procedureTypes } from './procedure-call.ts';
import {
  connectionParamsFromQuery,
  subscriptionText,
  withLastEventId,
} from './subscription-values.ts';
import type { TransportConfig } from './transport-config.ts';

export interface SseSubscriptionOptions<TContext> {
  /** Every subscription of the router is served here, under its path (`runs.stream`, `a.b.c`). */
  router: AnyRouter;
  /** The transformer, SSE options and error shape of the router's tRPC setup. */
  config: TransportConfig;
  /** Where tRPC is mounted, e.g. `/trpc/`. */
  basePath: string;
  /** The context of an authenticated caller; throws when the credential is refused. */
  authenticate: (
    req: IncomingMessage,
    connectionParams: Record<string, string | undefined> | null,
  ) => Promise<TContext>;
  onError: (error: TRPCError, path: string, req: IncomingMessage) => void;
  /** Deepest nesting of arrays and objects in the `input` query parameter. */
  maxInputDepth: number;
  /** A response that takes nothing for this long, its buffers full, is closed (default never). */
  stallMs?: number;
  /**
   * Asked for a subscription that does not resume, before anything else is
   * done for it (its caller is not known yet): a refusal to answer at once
   * with a 429, so a saturated server turns new work away for little.
   */
  refuseBeforeAuth?: (path: string) => TRPCError | undefined;
}

/** The `input` query parameter, parsed and deserialized; BAD_REQUEST or PARSE_ERROR when it can't be. */
function readInput(
  rawInput: string | null,
  options: { maxDepth: number; deserialize: (value: unknown) => unknown },
): unknown {
  if (!rawInput) return undefined;
  if (textNestsDeeperThan(rawInput, options.maxDepth)) {
    const message = `input may nest at most ${options.maxDepth} levels deep`;
    throw new TRPCError({ code: 'BAD_REQUEST', message });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawInput);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'input is not JSON', cause });
  }
  try {
    return options.deserialize(parsed);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'input could not be deserialized', cause });
  }
}

/** A subscription to serve, or a request for one to refuse. */
export type SseRoute = { path: string } | { refusal: { status: number; message: string } };

/** A frame other than an event's: `connected`, `ping`, `return`, `serialized-error`. */
interface Frame {
  event: string;
  data: string;
}

// No `connection` header of our own: with one, node:http leaves out its
// Keep-Alive hint, which tells a client (undici reads it) how long the server
// keeps the connection idle before it closes it.
const headers = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  // nginx and its kin would otherwise hold events back in a buffer.
  'x-accel-buffering': 'no',
};

/**
 * Why a stream's procedure is stopped when its response closes, which it does
 * at every stream's end too: one reason for all, as an abort without one makes
 * a DOMException (and its stack trace) each time.
 */
const responseClosed = new DOMException('the response closed', 'AbortError');

function frame(event: Frame): string {
  return `event: ${event.event}\ndata: ${event.data}\n\n`;
}

export function sseSubscriptions<TContext>(options: SseSubscriptionOptions<TContext>) {
  const { router, basePath } = options;
  const types = procedureTypes(router);
  const paths = new Set([...types].filter(([, type]) => type === 'subscription').map(([p]) => p));
  const { sse, transformer } = options.config;
  const pingMs = sse.ping?.enabled ? (sse.ping.intervalMs ?? 1000) : 0;
  const client = sse.client ?? {};
  /** A stream open this long is ended without `return`, so the client reconnects and resumes. */
  const maxDurationMs = sse.maxDurationMs;
  const serializedText = subscriptionText(transformer);
  /** A 429 with Retry-After for a subscription refused before it began, which clients and load balancers act on. */
  const refuseStart = answerRefusals(options.config);

  /**
   * What to do with a request: serve the subscription it asks for, refuse it
   * (a subscription asked for another way: one code path serves each), or leave
   * it to the rest of the server.
   */
  function route(req: IncomingMessage): SseRoute | undefined {
    const [pathname = '', query = ''] = (req.url ?? '').split('?');
    if (!pathname.startsWith(basePath)) return undefined;
    const requested = pathname.slice(basePath.length).split(',');
    if (!requested.some((path) => paths.has(path))) return undefined;
    if (req.method !== 'GET') {
      return {
        refusal: {
          status: 405,
          message: 'subscriptions are served over GET (Server-Sent Events) or a WebSocket',
        },
      };
    }
    if (requested.length > 1 || /(^|&)batch=/.test(query)) {
      return { refusal: { status: 400, message: 'a subscription cannot be batched' } };
    }
    return { path: requested[0] as string };
  }

  /** Answers a refused request with a JSON error. */
  function refuse(res: ServerResponse, refusal: { status: number; message: string }) {
    const allow = refusal.status === 405 ? { allow: 'GET' } : {};
    res
      .writeHead(refusal.status, { 'content-type': 'application/json', ...allow })
      .end(JSON.stringify({ error: { message: refusal.message } }));
  }

  async function stream(req: IncomingMessage, res: ServerResponse, path: string) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const lastEventId =
      req.headers['last-event-id'] ??
      url.searchParams.get('lastEventId') ??
      url.searchParams.get('Last-Event-Id');
    const resumeFrom = typeof lastEventId === 'string' && lastEventId ? lastEventId : undefined;
    const early = resumeFrom ? undefined : options.refuseBeforeAuth?.(path);
    if (early) {
      options.onError(early, path, req);
      refuseStart(res, early, path);
      return;
    }
    const abort = new AbortController();
    res.once('close', () => abort.abort(responseClosed));
    const expiry = maxDurationMs ? setTimeout(() => abort.abort(), maxDurationMs) : undefined;
    let lastWrite = performance.now();
    /** Writes frames' text: true when the response takes more at once, else a promise of its draining. */
    const writeText = (text: string): true | Promise<void> => {
      lastWrite = performance.now();
      if (!res.headersSent) {
        res.writeHead(200, headers);
        text = frame({ event: 'connected', data: JSON.stringify(client) }) + text;
      }
      return res.write(text) || drained(res, options.stallMs);
    };
    const write = (event: Frame) => writeText(frame(event));
    const pinger =
      pingMs > 0
        ? setInterval(() => {
            if (performance.now() - lastWrite >= pingMs) void write({ event: 'ping', data: '' });
          }, pingMs)
        : undefined;
    let ctx: TContext | undefined;
    let input: unknown;
    try {
      const params = url.searchParams.get('connectionParams');
      ctx = await options.authenticate(req, params ? connectionParamsFromQuery(params) : null);
      const rawInput = url.searchParams.get('input');
      input = withLastEventId(
        readInput(rawInput, {
          maxDepth: options.maxInputDepth,
          deserialize: (value) => transformer.input.deserialize(value),
        }),
        resumeFrom,
      );
      // Nothing is written before this: a new run's model request goes out first.
      const values = (await callProcedure(router, types, {
        ctx,
        path,
        type: 'subscription',
        input,
        signal: abort.signal,
      })) as AsyncIterable<unknown>;
      // Each event's frame is made as one text: events are most of what a server writes.
      const writeValue = (value: unknown) =>
        writeText(
          isTrackedEnvelope(value)
            ? `id: ${value[0]}\ndata: ${serializedText(value[1])}\n\n`
            : `data: ${serializedText(value)}\n\n`,
        );
      await consumeFeed(values, writeValue, abort.signal);
      if (!abort.signal.aborted) await write({ event: 'return', data: '' });
    } catch (cause) {
      if (!abort.signal.aborted) {
        const error = getTRPCErrorFromUnknown(cause);
        options.onError(error, path, req);
        if (error.code === 'TOO_MANY_REQUESTS' && !res.headersSent) {
          // Refused before it began (the server sheds load, or a limit).
          refuseStart(res, error, path);
          return;
        }
        await write({
          event: 'serialized-error',
          data: serializedText(options.config.errorShape(error, path)),
        });
      }
    } finally {
      clearInterval(pinger);
      clearTimeout(expiry);
      res.end();
    }
  }

  return {
    route,
    refuse,
    /** Serves it to the end; failures go to the client as `serialized-error`. */
    stream,
  };
}
