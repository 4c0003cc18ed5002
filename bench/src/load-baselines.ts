// The load benchmark's baselines, each run on the same upstream as the server:
// the floor (the machine with no SDK and no server), the plain openai SDK
// streaming directly, and a bare proxy (the least any server in between does).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import {
  type Arrivals,
  collect,
  type Measured,
  retriedWords,
  type StreamOne,
  warmUpRuns,
  watchProcess,
} from './load-measure.ts';
import { pinToServerCore } from './pin.ts';
import { proxySseStreams, ShedError } from './raw-clients.ts';
import { sseDeltas, streamRequestBody } from './sse-deltas.ts';
import { startScript } from './upstream-process.ts';

export interface Upstreams {
  /** Paced: the streams measured. */
  paced: string;
  /** Short and unpaced: warm-up streams, not counted. */
  warmUp: string;
}

/** Streams `warmUpRuns` short streams through a path, 50 at a time, before it is measured. */
export async function warmUp(streamOne: StreamOne): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < warmUpRuns) {
      // A server shedding load refuses some; they are asked for again a little later.
      await streamOne(next++, () => {}).catch(async (error: unknown) => {
        if (!(error instanceof ShedError)) throw error;
        await delay(100);
      });
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
}

/**
 * The floor: the streams read straight from the upstream with node:http and
 * JSON.parse, the least work a Node client can do with them; what is late
 * here is late because of the machine, before any SDK or server.
 */
export async function measureFloor(streams: number, upstreamURL: string): Promise<Measured> {
  const agent = new http.Agent({ keepAlive: true });
  const figures = await collect(streams, async (_, onDelta) => {
    const request = http.request(`${upstreamURL}/chat/completions`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json' },
    });
    request.end(streamRequestBody);
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    response.setEncoding('utf8');
    response.on('data', sseDeltas(onDelta));
    await once(response, 'end');
  });
  agent.destroy();
  return { path: 'node:http, direct (floor)', streams, figures };
}

/** The plain openai SDK streaming straight from the upstream, 8 clients in the client process. */
export async function measureDirect(streams: number, upstreams: Upstreams): Promise<Measured> {
  const streamFrom = (baseURL: string): StreamOne => {
    const clients = Array.from(
      { length: 8 },
      () => new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0 }),
    );
    return async (i, onDelta) => {
      const stream = await clients[i % clients.length]!.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `stream ${i}` }],
        stream: true,
      });
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta.content;
        if (delta) onDelta(delta);
      }
    };
  };
  await warmUp(streamFrom(upstreams.warmUp));
  const figures = await collect(streams, streamFrom(upstreams.paced));
  return { path: 'openai SDK, direct', streams, figures };
}

/** Streams through bare-proxy.ts over 8 WebSocket connections, each frame routed to its stream by id. */
async function proxyClient(url: string) {
  const sockets = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const ws = new WebSocket(url);
      await once(ws, 'open');
      return ws;
    }),
  );
  const streams = new Map<string, { onDelta: (delta: string) => void; done: () => void }>();
  for (const ws of sockets) {
    ws.addEventListener('message', (message) => {
      const frame = JSON.parse(String(message.data)) as { id: string; delta?: string };
      const stream = streams.get(frame.id);
      if (frame.delta) stream?.onDelta(frame.delta);
      else stream?.done(); // the end, or an upstream error (then the chunk count falls short)
    });
  }
  let next = 0;
  const streamFrom =
    (prefix: string): StreamOne =>
    (i, onDelta) =>
      new Promise((resolve) => {
        const id = `${prefix}${next++}`;
        const done = () => {
          streams.delete(id);
          resolve();
        };
        streams.set(id, { onDelta, done });
        sockets[i % sockets.length]!.send(id);
      });
  return {
    paced: streamFrom(''),
    warmUp: streamFrom('warm-up:'),
    close: () => {
      for (const ws of sockets) ws.close();
    },
  };
}

export interface ProxyPath {
  transport: 'sse' | 'ws';
  /**
   * The overload rows' baseline: pinned to the server's core, refusing SSE
   * streams past this many at once, as the server's cap does.
   */
  refuseAbove?: number;
  /**
   * Numbers every event and writes it to a SQLite event log on a worker
   * thread (proxy-event-log.ts): the least a server that keeps its streams'
   * events durable does beyond forwarding them.
   */
  eventLog?: boolean;
  /** How the streams arrive (default: over the ramp, a shed one not asked for again). */
  arrivals?: Arrivals;
}

/** A bare proxy in a fresh process of its own between the client process and the upstream. */
export async function measureBareProxy(
  streams: number,
  upstreams: Upstreams,
  path: ProxyPath,
): Promise<Measured> {
  const { transport, refuseAbove, eventLog, arrivals } = path;
  const logFolder = eventLog ? mkdtempSync(join(tmpdir(), 'agentrpc-proxy-log-')) : undefined;
  const proxy = await startScript('bare-proxy.ts', {
    UPSTREAM_URL: upstreams.paced,
    WARM_UP_URL: upstreams.warmUp,
    ...(refuseAbove ? { MAX_STREAMS: String(refuseAbove) } : {}),
    ...(logFolder ? { EVENT_LOG: join(logFolder, 'events.db') } : {}),
    // e.g. PROXY_NODE_OPTIONS=--cpu-prof profiles the proxy, as SERVER_NODE_OPTIONS the server.
    ...(process.env.PROXY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.PROXY_NODE_OPTIONS } : {}),
  });
  const pinned = refuseAbove !== undefined && pinToServerCore(proxy.pid);
  const agent = new http.Agent({ keepAlive: true });
  const client =
    transport === 'ws'
      ? await proxyClient(proxy.url)
      : (() => {
          const streamFrom = proxySseStreams(proxy.url, agent);
          return { paced: streamFrom(''), warmUp: streamFrom('warm-up:'), close: () => {} };
        })();
  await warmUp(client.warmUp);
  const usage = watchProcess(proxy.pid);
  const figures = await collect(streams, client.paced, arrivals);
  const middle = usage(figures.lateness.length);
  client.close();
  agent.destroy();
  await proxy.stop();
  if (logFolder) rmSync(logFolder, { recursive: true, force: true });
  const overload =
    refuseAbove === undefined
      ? ''
      : `; ${pinned ? 'one core' : 'not pinned'}, refusing above ${refuseAbove} streams${retriedWords(arrivals)}`;
  return {
    path: `${eventLog ? loggedProxyName : 'bare proxy'} (node:http, ${transportName[transport]}${overload})`,
    streams,
    figures,
    middle,
    ...(refuseAbove ? { refusedAbove: refuseAbove } : {}),
    ...(arrivals?.retryShedForMs ? { retried: true } : {}),
  };
}

export const loggedProxyName = 'bare proxy + event log';

export const transportName = { sse: 'SSE', ws: 'WebSocket' } as const;
