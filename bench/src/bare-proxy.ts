// The load benchmark's bare proxy, in a process of its own: what any server
// between clients and a provider must do at the least, and nothing more. A
// WebSocket message names a stream; the proxy asks the upstream for it over
// node:http and forwards each content delta as one frame (JSON.parse and
// JSON.stringify per chunk), then a last frame at the end. No auth, no run
// records, no event log, no metrics, no frame batching.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { sseDeltas, streamRequestBody } from './sse-deltas.ts';

const upstreamURL = process.env.UPSTREAM_URL ?? '';
/** Streams named `warm-up:…` go here: the proxy is warmed up as the server is. */
const warmUpURL = process.env.WARM_UP_URL ?? '';
const agent = new http.Agent({ keepAlive: true });

const server = http.createServer();
const sockets = new WebSocketServer({ server });
sockets.on('connection', (ws) => {
  ws.on('message', (message) => {
    const id = String(message);
    const base = id.startsWith('warm-up:') ? warmUpURL : upstreamURL;
    const request = http.request(`${base}/chat/completions`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json' },
    });
    request.on('response', (response) => {
      response.setEncoding('utf8');
      response.on(
        'data',
        sseDeltas((delta) => ws.send(JSON.stringify({ id, delta }))),
      );
      response.on('end', () => ws.send(JSON.stringify({ id, end: true })));
    });
    request.on('error', () => ws.send(JSON.stringify({ id, error: true })));
    request.end(streamRequestBody);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ws://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
