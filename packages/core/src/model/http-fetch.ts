// The fetch model clients use on Node: plain requests go out on node:http(s)
// with keep-alive agents, and a streamed reply can be read as the Node stream
// it arrives on (takeNodeBody), without the web-stream layers a Response body
// adds per chunk. Under many concurrent streams those layers were a large share
// of a server's CPU (bench/RESULTS.md, load). Anything else — a body that is
// not a string, a URL that is not http(s), or a host that the environment
// sends through a proxy (HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, less NO_PROXY) —
// goes to the global fetch, so the platform's proxy support applies.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
};

/** Replies that are read as Node streams, until taken. */
const nodeBodies = new WeakMap<Response, Readable>();

/** The reply's body as a Node stream, if it came from httpFetch and nobody read it yet. */
export function takeNodeBody(response: Response): Readable | undefined {
  const body = nodeBodies.get(response);
  nodeBodies.delete(response);
  return body;
}

function decoded(res: IncomingMessage): Readable {
  switch (res.headers['content-encoding']) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(createGunzip());
    case 'deflate':
      return res.pipe(createInflate());
    case 'br':
      return res.pipe(createBrotliDecompress());
    default:
      return res;
  }
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** A Response whose body stays in `stream` until someone reads it one way or the other. */
function toResponse(res: IncomingMessage, stream: Readable): Response {
  const status = res.statusCode ?? 0;
  const init = { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) };
  if ([101, 204, 205, 304].includes(status)) {
    stream.resume();
    return new Response(null, init);
  }
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const claimed = nodeBodies.get(response) === stream;
        if (!reader && !claimed) throw new TypeError('the body was taken as a Node stream');
        nodeBodies.delete(response);
        reader ??= (Readable.toWeb(stream) as ReadableStream<Uint8Array>).getReader();
        const read = await reader.read();
        if (read.done) controller.close();
        else controller.enqueue(read.value);
      },
      cancel(reason) {
        stream.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
  const response = new Response(body, init);
  nodeBodies.set(response, stream);
  return response;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function envValue(name: string): string | undefined {
  return process.env[name.toLowerCase()] || process.env[name.toUpperCase()] || undefined;
}

/** True when the environment names a proxy for this URL (curl's rules for NO_PROXY). */
export function proxiedByEnvironment(url: URL): boolean {
  const proxy =
    envValue(url.protocol === 'https:' ? 'https_proxy' : 'http_proxy') ?? envValue('all_proxy');
  if (!proxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const entry of (envValue('no_proxy') ?? '').split(/[\s,]+/)) {
    if (!entry) continue;
    if (entry === '*') return false;
    const [name = '', entryPort] = entry
      .toLowerCase()
      .replace(/^\*?\./, '.')
      .split(/:(?=\d+$)/);
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return false;
  }
  return true;
}

export const httpFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : undefined;
  const body = init?.body;
  const agent = url && agents[url.protocol as keyof typeof agents];
  if (!url || !agent || (body != null && typeof body !== 'string') || proxiedByEnvironment(url)) {
    return globalThis.fetch(input, init);
  }
  const signal = init?.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const headers: Record<string, string> = {};
    // The SDK passes a Headers already: read as it is, not copied into another (6 µs a request).
    const given = init?.headers;
    (given instanceof Headers ? given : new Headers(given)).forEach((value, name) => {
      headers[name] = value;
    });
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: init?.method ?? 'GET', headers, agent });
    let stream: Readable | undefined;
    const onAbort = () => {
      const error = abortError(signal as AbortSignal) as Error;
      req.destroy(error);
      stream?.destroy(error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: error }),
      );
    });
    req.once('response', (res) => {
      const body = decoded(res);
      stream = body;
      res.once('close', () => {
        signal?.removeEventListener('abort', onAbort);
        // A reply cut short must fail its reader, as fetch's does, not just end.
        if (!res.complete) body.destroy(new TypeError('terminated'));
      });
      resolve(toResponse(res, body));
    });
    req.end(body ?? undefined);
  });
};
