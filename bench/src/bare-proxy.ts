// The load benchmark's bare proxy, in a process of its own: what any server
// between clients and a provider must do at the least, and nothing more. A
// client names a stream, over WebSocket (one message on a shared connection)
// or over SSE (one GET per stream, as a browser's EventSource would); the proxy
// asks the upstream for it over node:http and forwards each content delta
// (JSON.parse and JSON.stringify per chunk) as one frame or one event, then a
// last one at the end. No auth, no run records, no event log, no metrics, no
// frame batching. With EVENT_LOG (a file), it also keeps a durable log of
// every stream's events, the least a server that does so adds
// (proxy-event-log.ts). With MAX_STREAMS it refuses SSE streams past that many at
// once (429 with Retry-After), the least a server that sheds load does: the
// overload rows' baseline for what the machine alone does to first tokens.
import http from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { WebSocketServer } from 'ws';
import { type Forward, ProxyEventLog, type StreamFrames } from './proxy-event-log.ts';
import { sseDeltas, streamRequestBody } from './sse-deltas.ts';

const upstreamURL = process.env.UPSTREAM_URL ?? '';
/** Streams named `warm-up:…` go here: the proxy is warmed up as the server is. */
const warmUpURL = process.env.WARM_UP_URL ?? '';
const agent = new http.Agent({ keepAlive: true });
/** SSE streams at once past which new ones are refused (0: never). */
const maxStreams = Number(process.env.MAX_STREAMS ?? 0);
let streaming = 0;
/** With EVENT_LOG (a SQLite file), every event is numbered and written to it (proxy-event-log.ts). */
const eventLog = process.env.EVENT_LOG ? new ProxyEventLog(process.env.EVENT_LOG) : undefined;

/** Stream `id`'s frames as its client reads them: one per delta, then one at the end. */
function plainFrames(id: string, to: Forward): StreamFrames {
  return {
    delta: (delta) => to.delta(JSON.stringify({ id, delta })),
    end: () => to.end(JSON.stringify({ id, end: true })),
  };
}

/** Streams `id` from the upstream, handing each delta on as serialised JSON. */
function forward(id: string, to: Forward) {
  const base = id.startsWith('warm-up:') ? warmUpURL : upstreamURL;
  const request = http.request(`${base}/chat/completions`, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json' },
  });
  const frames = eventLog ? eventLog.frames(id, to) : plainFrames(id, to);
  request.on('response', (response) => {
    response.setEncoding('utf8');
    response.on('data', sseDeltas(frames.delta));
    response.on('end', frames.end);
  });
  request.on('error', () => to.end(JSON.stringify({ id, error: true })));
  request.end(streamRequestBody);
}

const server = http.createServer((req, res) => {
  const id = new URL(req.url ?? '/', 'http://proxy').searchParams.get('id') ?? '';
  if (maxStreams > 0 && streaming >= maxStreams) {
    res.writeHead(429, { 'retry-after': '1' }).end();
    return;
  }
  streaming++;
  res.once('close', () => streaming--);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  forward(id, {
    delta: (payload) => res.write(`data: ${payload}\n\n`),
    end: (payload) => res.end(`data: ${payload}\n\n`),
  });
});
const sockets = new WebSocketServer({ server });
sockets.on('connection', (ws) => {
  ws.on('message', (message) => {
    const send = (payload: string) => ws.send(payload);
    forward(String(message), { delta: send, end: send });
  });
});
/**
 * Sockets sharing the port beside the server's own, as agentrpc's server
 * listens (apps/server/src/http/listen.ts): a busy event loop accepts few
 * connections per listening socket per turn, and with one socket the streams
 * of a burst waited in the kernel for seconds before the proxy read them.
 */
const acceptors = process.platform === 'linux' ? 63 : 0;
const host = '127.0.0.1';
server.listen({ port: 0, host, reusePort: acceptors > 0 }, async () => {
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < acceptors; i++) {
    const acceptor = createNetServer({ noDelay: true, allowHalfOpen: true }, (socket) =>
      server.emit('connection', socket),
    );
    await new Promise<void>((listening) =>
      acceptor.listen({ port, host, reusePort: true }, listening),
    );
  }
  process.stdout.write(`ws://${host}:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
