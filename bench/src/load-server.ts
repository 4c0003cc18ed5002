// The agentrpc rows of the load benchmark: a fresh server process (the CLI,
// bench/src/load.config.ts) per row, read by the raw client (as every other
// row is) or by the SDK, over SSE or WebSocket; optionally pinned to one core
// with load shedding on or off.
import { rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import { type ServedAgentRpc, serveAgentRpc } from '@agentrpc/testing';
import { serverNodeFlags } from '../../apps/server/src/node-flags.ts';
import { transportName, type Upstreams, warmUp } from './load-baselines.ts';
import {
  type Arrivals,
  collect,
  type Measured,
  retriedWords,
  type StreamOne,
  watchProcess,
} from './load-measure.ts';
import { pinToServerCore } from './pin.ts';
import { agentRpcSseStreams, agentRpcWsStreams } from './raw-clients.ts';

/**
 * The server's store, as AGENTRPC_STORE takes it (memory, sqlite:<path>, a
 * mongodb:// URL); by default SQLite, the store a user runs, in a fresh file
 * for each server.
 */
export const store = process.env.STORE ?? 'sqlite';
let servers = 0;
const storeForNextServer = () =>
  store === 'sqlite'
    ? `sqlite:${join(tmpdir(), `agentrpc-load-${process.pid}-${servers++}.db`)}`
    : store;

/** Removes a fresh SQLite file of storeForNextServer's, with its WAL, once its server has stopped. */
function removeFreshStore(serverStore: string) {
  if (store !== 'sqlite') return;
  const path = serverStore.slice('sqlite:'.length);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** How the client process reads the server: the raw client (as the baselines' reading) or the SDK. */
export type ClientKind = 'raw' | 'sdk';

export interface ServerPath {
  transports: 'agentrpc' | 'trpc';
  transport: 'sse' | 'ws';
  client: ClientKind;
  /**
   * On one core (taskset), with load shedding at this event-loop delay (ms; 0
   * is off), or above this many running runs.
   */
  overload?: { maxEventLoopDelayMs: number; maxRunningRuns?: number };
  /** How the streams arrive (default: over the ramp, a shed one not asked for again). */
  arrivals?: Arrivals;
}

/** Streams runs of `agentId` through the server as `path` says; `close` ends the clients. */
async function serverStreams(url: string, path: ServerPath) {
  const apiKey = 'load-key';
  if (path.client === 'sdk') {
    const clients = Array.from({ length: 8 }, () =>
      createClient({ url, apiKey, transport: path.transport }),
    );
    const streams =
      (agentId: string): StreamOne =>
      async (i, onDelta) => {
        const runs = clients[i % clients.length]!.runs;
        for await (const event of runs.stream({ agentId, input: `stream ${i}` })) {
          if (event.type === 'run.content') onDelta(event.delta);
          if (event.type === 'run.error') throw new Error(event.message);
        }
      };
    return {
      streams,
      close: () => {
        for (const client of clients) client.close();
      },
    };
  }
  if (path.transport === 'ws') return agentRpcWsStreams({ url, apiKey });
  const agent = new http.Agent({ keepAlive: true });
  return { streams: agentRpcSseStreams({ url, apiKey, agent }), close: () => agent.destroy() };
}

/**
 * `agentrpc serve` with the load config on the upstreams; `env` adds to the
 * process's. The built server through its bin, as an installed package runs
 * (bench:load builds it first): from the TypeScript sources the process would
 * also hold Node's type stripper and every source file, some 16 MiB more.
 */
export function startLoadServer(options: {
  upstreams: Upstreams;
  store: string;
  env?: Record<string, string>;
}): Promise<ServedAgentRpc> {
  return serveAgentRpc({
    cli: fileURLToPath(new URL('../../apps/server/bin/agentrpc.js', import.meta.url)),
    fromSource: false,
    config: fileURLToPath(new URL('./load.config.ts', import.meta.url)),
    env: {
      ...process.env,
      UPSTREAM_URL: options.upstreams.paced,
      WARM_UP_URL: options.upstreams.warmUp,
      AGENTRPC_STORE: options.store,
      AGENTRPC_LOG_LEVEL: 'warn',
      // The flags `./dev start` runs the server with (and docs/deployment.md recommends);
      // e.g. SERVER_NODE_OPTIONS=--cpu-prof adds a CPU profile of the server alone.
      NODE_OPTIONS: [...serverNodeFlags, process.env.SERVER_NODE_OPTIONS ?? ''].join(' ').trim(),
      ...options.env,
    },
    // Flags NODE_OPTIONS refuses, e.g. SERVER_NODE_FLAGS=--single-threaded-gc.
    nodeFlags: (process.env.SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  });
}

/** Runs `streams` concurrent runs on a fresh agentrpc server; returns the table row. */
export async function measureServer(
  streams: number,
  upstreams: Upstreams,
  path: ServerPath,
): Promise<Measured> {
  const serverStore = storeForNextServer();
  const server = await startLoadServer({
    upstreams,
    store: serverStore,
    env: {
      AGENTRPC_TRANSPORTS: path.transports,
      MAX_EVENT_LOOP_DELAY_MS: String(path.overload?.maxEventLoopDelayMs ?? 0),
      MAX_RUNNING_RUNS: String(path.overload?.maxRunningRuns ?? 100_000),
    },
  });
  const pinned = path.overload !== undefined && pinToServerCore(server.child.pid ?? 0);
  const client = await serverStreams(server.url, path);
  await warmUp(client.streams('warm-up'));
  const usage = watchProcess(server.child.pid ?? 0);
  const figures = await collect(streams, client.streams('load'), path.arrivals);
  const middle = usage(figures.lateness.length);
  client.close();
  await server.stop();
  removeFreshStore(serverStore);
  const where =
    path.transports === 'trpc' ? "agentrpc server on tRPC's adapters" : 'agentrpc server';
  const reader = path.client === 'sdk' ? 'SDK' : 'raw client';
  const shedAt = path.overload?.maxEventLoopDelayMs;
  const cap = path.overload?.maxRunningRuns;
  const shedding = cap
    ? `shedding above ${cap} running runs`
    : shedAt
      ? `shedding at ${shedAt} ms loop delay, with the admission limit`
      : 'no shedding';
  const overload =
    shedAt === undefined
      ? ''
      : ` (${pinned ? 'one core' : 'not pinned'}, ${shedding}${retriedWords(path.arrivals)})`;
  const label = `${where} + ${reader}, ${transportName[path.transport]}${overload}`;
  return {
    path: label,
    streams,
    figures,
    middle,
    ...(cap ? { refusedAbove: cap } : {}),
    ...(path.arrivals?.retryShedForMs ? { retried: true } : {}),
  };
}
