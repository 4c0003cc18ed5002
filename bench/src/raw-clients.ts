// The load benchmark's raw clients: the least work a Node process can do to
// follow many streams, the same for every server it reads (the bare proxy,
// agentrpc, agno's AgentOS), so that what differs between rows is the server.
// node:http (one keep-alive socket per open stream) or the ws package, one
// JSON.parse per event, nothing else; no SDK, no reconnects.
import { once } from 'node:events';
import http from 'node:http';
import { WebSocket } from 'ws';
import type { StreamOne } from './load-measure.ts';

/** The server refused to start the stream for now (429): it sheds load. */
export class ShedError extends Error {}

export interface SseEvent {
  event: string;
  data: string;
}

/** A handler for an event stream's text as it arrives (pieces may split lines anywhere). */
export function sseEvents(onEvent: (event: SseEvent) => void): (text: string) => void {
  let tail = '';
  let event = '';
  let data = '';
  return (text) => {
    const lines = (tail + text).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '' || line === '\r') {
        if (data || event) onEvent({ event, data });
        event = '';
        data = '';
      } else if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
      else if (line.startsWith('event:')) event = line.slice(6).trim();
    }
  };
}

export interface RawRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One streaming HTTP request read as events; settles when the response ends. */
export async function streamEvents(
  agent: http.Agent,
  request: RawRequest,
  onEvent: (event: SseEvent) => void,
): Promise<void> {
  const outgoing = http.request(request.url, {
    method: request.method,
    agent,
    headers: request.headers,
  });
  outgoing.end(request.body);
  const [response] = (await once(outgoing, 'response')) as [http.IncomingMessage];
  if (response.statusCode !== 200) {
    response.resume();
    if (response.statusCode === 429) throw new ShedError('HTTP 429');
    throw new Error(`HTTP ${response.statusCode}`);
  }
  response.setEncoding('utf8');
  let failure: unknown;
  const read = sseEvents((event) => {
    try {
      onEvent(event);
    } catch (error) {
      failure ??= error;
      response.destroy();
    }
  });
  response.on('data', (text: string) => failure === undefined && read(text));
  // A response destroyed for a bad event closes without 'end'.
  await Promise.race([once(response, 'end'), once(response, 'close')]);
  if (failure !== undefined) throw failure;
}

/** Reads the bare proxy's SSE endpoint: one GET per stream. */
export function proxySseStreams(proxyURL: string, agent: http.Agent) {
  const base = proxyURL.replace(/^ws/, 'http');
  let next = 0;
  return (prefix: string): StreamOne =>
    (_, onDelta) =>
      streamEvents(agent, { method: 'GET', url: `${base}/?id=${prefix}${next++}` }, ({ data }) => {
        const frame = JSON.parse(data) as { delta?: string; error?: boolean };
        if (frame.delta) onDelta(frame.delta);
        if (frame.error) throw new Error('the upstream failed');
      });
}

interface AgentRpcEvent {
  type: string;
  delta?: string;
  message?: string;
}

/** What the client does with one of a run's events (superjson's `{ json }` around it). */
function readRunEvent(
  event: AgentRpcEvent,
  onDelta: (delta: string) => void,
  onStarted?: () => void,
) {
  if (event.type === 'run.started') onStarted?.();
  if (event.type === 'run.content' && event.delta) onDelta(event.delta);
  if (event.type === 'run.error') throw new Error(event.message);
}

const runInput = (agentId: string, i: number) => ({
  json: { agentId, input: `stream ${i}`, runId: `r${i}-${Math.random().toString(36).slice(2)}` },
});

/** runs.stream over SSE: one GET per run, as the SDK's SSE transport sends it. */
export function agentRpcSseStreams(options: { url: string; apiKey: string; agent: http.Agent }) {
  const headers = { authorization: `Bearer ${options.apiKey}`, accept: 'text/event-stream' };
  return (agentId: string): StreamOne =>
    (i, onDelta, onStarted) => {
      const input = encodeURIComponent(JSON.stringify(runInput(agentId, i)));
      const url = `${options.url}/trpc/runs.stream?input=${input}`;
      return streamEvents(options.agent, { method: 'GET', url, headers }, ({ event, data }) => {
        if (event === 'serialized-error') {
          // A refusal after the stream opened (the transport answers 200 first).
          if (data.includes('"httpStatus":429')) throw new ShedError(data);
          throw new Error(data);
        }
        if (event || !data) return; // connected, ping, return
        readRunEvent((JSON.parse(data) as { json: AgentRpcEvent }).json, onDelta, onStarted);
      });
    };
}

interface WsReply {
  id: number;
  /** A tracked event: its id beside it, in the same envelope the SSE transport puts in `id:`. */
  result?: { type: string; data?: { json: { id: string; data: AgentRpcEvent } } };
  error?: unknown;
}

/** runs.stream over tRPC's WebSocket protocol: 8 connections, each run a subscription on one. */
export async function agentRpcWsStreams(options: { url: string; apiKey: string }) {
  const url = `${options.url.replace(/^http/, 'ws')}/trpc`;
  const headers = { authorization: `Bearer ${options.apiKey}` };
  const sockets = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const ws = new WebSocket(url, { headers });
      await once(ws, 'open');
      return ws;
    }),
  );
  const open = new Map<
    number,
    { onDelta: (delta: string) => void; onStarted?: () => void; settle: (error?: Error) => void }
  >();
  const receive = (reply: WsReply) => {
    const stream = open.get(reply.id);
    if (!stream) return;
    try {
      if (reply.error) {
        const text = JSON.stringify(reply.error);
        throw text.includes('"httpStatus":429') ? new ShedError(text) : new Error(text);
      }
      if (reply.result?.type === 'stopped') stream.settle();
      else if (reply.result?.data) {
        readRunEvent(reply.result.data.json.data, stream.onDelta, stream.onStarted);
      }
    } catch (error) {
      stream.settle(error as Error);
    }
  };
  for (const ws of sockets) {
    ws.on('message', (message) => {
      const text = String(message);
      if (text === 'PING') return void ws.send('PONG');
      const parsed = JSON.parse(text) as WsReply | WsReply[];
      for (const reply of Array.isArray(parsed) ? parsed : [parsed]) receive(reply);
    });
  }
  let nextId = 1;
  const streams =
    (agentId: string): StreamOne =>
    (i, onDelta, onStarted) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        open.set(id, {
          onDelta,
          ...(onStarted ? { onStarted } : {}),
          settle: (error) => {
            open.delete(id);
            if (error) reject(error);
            else resolve();
          },
        });
        const params = { path: 'runs.stream', input: runInput(agentId, i) };
        sockets[i % sockets.length]!.send(JSON.stringify({ id, method: 'subscription', params }));
      });
  return {
    streams,
    close: () => {
      for (const ws of sockets) ws.close();
    },
  };
}
