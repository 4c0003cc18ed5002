import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeByteSource } from './byte-source.ts';
import { httpFetch, proxiedByEnvironment, takeNodeBody } from './http-fetch.ts';
import { sseChunks } from './sse-chunks.ts';

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const routes: Record<string, Route> = {
  '/echo': (req, res, body) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-seen': 'yes' });
    res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization }));
  },
  '/gzip': (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    res.end(gzipSync('squeezed text'));
  },
  '/cut': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n', () => setTimeout(() => res.socket?.destroy(), 20));
  },
  '/many': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = Array.from({ length: 20_000 }, (_, i) => {
      const chunk = { choices: [{ index: 0, delta: { content: `${i}` }, finish_reason: null }] };
      return `data: ${JSON.stringify(chunk)}\n\n`;
    });
    res.end(`${events.join('')}data: [DONE]\n\n`);
  },
  '/slow': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
  },
};

async function readAll(response: Response): Promise<string> {
  const body = takeNodeBody(response);
  if (!body) throw new Error('no node body');
  return new Promise((resolve, reject) => {
    let text = '';
    nodeByteSource(body, {
      bytes: (bytes) => {
        text += Buffer.from(bytes).toString();
      },
      end: () => resolve(text),
      fail: reject,
    });
  });
}

describe('httpFetch', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const part of req) body += part;
      routes[req.url ?? '']?.(req, res, body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends method, headers and body, and answers like fetch', async () => {
    const response = await httpFetch(`${base}/echo`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer k' }),
      body: 'hello',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-seen')).toBe('yes');
    expect(await response.json()).toEqual({ method: 'POST', body: 'hello', auth: 'Bearer k' });
    expect(takeNodeBody(response)).toBeUndefined(); // already read the web way
  });

  it('takes headers in each of the forms fetch takes them', async () => {
    const forms: NonNullable<RequestInit['headers']>[] = [
      { Authorization: 'Bearer r' },
      [['AUTHORIZATION', 'Bearer r']],
    ];
    for (const headers of forms) {
      const response = await httpFetch(`${base}/echo`, { method: 'POST', headers, body: '' });
      expect(await response.json()).toMatchObject({ auth: 'Bearer r' });
    }
  });

  it('gives the body once: as a Node stream, or else as a web stream', async () => {
    const response = await httpFetch(`${base}/echo`, { method: 'POST', body: 'x' });
    expect(JSON.parse(await readAll(response))).toMatchObject({ body: 'x' });
    await expect(response.text()).rejects.toThrow();
  });

  it('decompresses a compressed reply either way', async () => {
    expect(await (await httpFetch(`${base}/gzip`)).text()).toBe('squeezed text');
    expect(await readAll(await httpFetch(`${base}/gzip`))).toBe('squeezed text');
  });

  it('fails a reader when the reply is cut short', async () => {
    const response = await httpFetch(`${base}/cut`);
    await expect(readAll(response)).rejects.toThrow(/aborted|terminated/);
    await expect((await httpFetch(`${base}/cut`)).text()).rejects.toThrow();
  });

  it('aborts before and after the reply starts', async () => {
    await expect(httpFetch(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const controller = new AbortController();
    const response = await httpFetch(`${base}/slow`, { signal: controller.signal });
    const reading = readAll(response);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails to connect like fetch, and leaves other bodies to fetch', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await expect(httpFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
    });
    const bytes = await httpFetch(`${base}/echo`, {
      method: 'PUT',
      body: new Uint8Array([104, 105]),
    });
    expect(await bytes.json()).toMatchObject({ method: 'PUT', body: 'hi' });
  });

  it('gives a slow reader every event of a long reply in order, holding the rest back meanwhile', async () => {
    const seen: string[] = [];
    for await (const chunk of sseChunks(await httpFetch(`${base}/many`))) {
      const content = chunk.choices[0]?.delta.content;
      if (content === undefined) continue; // the closing chunk after [DONE]
      seen.push(content ?? '');
      if (seen.length % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen).toEqual(Array.from({ length: 20_000 }, (_, i) => `${i}`));
  });

  it('steps aside for the global fetch where the environment names a proxy', async () => {
    const saved = { ...process.env };
    const globalFetch = globalThis.fetch;
    const viaGlobal: string[] = [];
    globalThis.fetch = (input, init) => {
      viaGlobal.push(String(input));
      return globalFetch(input, init);
    };
    try {
      process.env.HTTP_PROXY = 'http://127.0.0.1:9'; // a proxy this test never reaches
      process.env.NO_PROXY = '127.0.0.1';
      expect((await httpFetch(`${base}/echo`)).status).toBe(201);
      expect(viaGlobal).toEqual([]);
      process.env.NO_PROXY = 'example.com,.internal';
      // The global fetch applies the platform's proxy support (NODE_USE_ENV_PROXY=1, or a
      // dispatcher set in code); this process has neither, so it still reaches the server.
      expect((await httpFetch(`${base}/echo`)).status).toBe(201);
      expect(viaGlobal).toEqual([`${base}/echo`]);
    } finally {
      globalThis.fetch = globalFetch;
      process.env = saved;
    }
  });
});

describe('proxiedByEnvironment', () => {
  it('follows the proxy variables and NO_PROXY as curl does', () => {
    const saved = { ...process.env };
    try {
      for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY']) {
        delete process.env[name];
        delete process.env[name.toLowerCase()];
      }
      const at = (url: string) => proxiedByEnvironment(new URL(url));
      expect(at('https://api.example.com')).toBe(false);
      process.env.https_proxy = 'http://proxy:3128';
      expect(at('https://api.example.com')).toBe(true);
      expect(at('http://api.example.com')).toBe(false);
      process.env.NO_PROXY = 'localhost, .example.com:443';
      expect(at('https://api.example.com')).toBe(false);
      expect(at('https://api.example.com:8443')).toBe(true);
      expect(at('https://example.org')).toBe(true);
      process.env.NO_PROXY = '*';
      expect(at('https://example.org')).toBe(false);
    } finally {
      process.env = saved;
    }
  });
});
