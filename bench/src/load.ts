// `pnpm bench:load`: many concurrent streaming runs through one agentrpc server
// (its own process) against a fake upstream that paces its chunks, beside
// three baselines on the same upstream (load-baselines.ts); reports how late
// each chunk reaches the client against the upstream's schedule and how much
// each gap between chunks grew (p50/p99), errors, and the peak RSS and CPU per
// chunk of the process in the middle. STREAMS may list several sizes (fresh
// processes for each).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import { serveAgentRpc } from '@agentrpc/testing';
import {
  measureBareProxy,
  measureDirect,
  measureFloor,
  type Upstreams,
  warmUp,
} from './load-baselines.ts';
import {
  chunks,
  collect,
  gapMs,
  rampMs,
  row,
  type StreamOne,
  warmUpRuns,
  watchProcess,
} from './load-measure.ts';
import { startUpstream } from './upstream-process.ts';

const sizes = (process.env.STREAMS ?? '2000').split(',').map(Number);
/** The SDK's transports to measure the server over: ws, sse or both (ws,sse). */
const clientTransports = (process.env.TRANSPORT ?? 'ws').split(',') as ('sse' | 'ws')[];
/** The server's store, as AGENTRPC_STORE takes it: memory, sqlite:<path> or a mongodb:// URL. */
const store = process.env.STORE ?? 'memory';
/** Which code serves the server's subscriptions, each measured: its own transports, tRPC's adapters. */
const serverTransports = (process.env.SERVER_TRANSPORTS ?? 'agentrpc,trpc').split(',') as (
  | 'agentrpc'
  | 'trpc'
)[];

/** Runs `streams` concurrent runs on a fresh agentrpc server; returns the table row. */
async function measureServer(
  streams: number,
  upstreams: Upstreams,
  over: { transports: 'agentrpc' | 'trpc'; transport: 'sse' | 'ws' },
): Promise<string> {
  const { transports, transport } = over;
  const server = await serveAgentRpc({
    cli: fileURLToPath(new URL('../../apps/server/src/cli.ts', import.meta.url)),
    config: fileURLToPath(new URL('./load.config.ts', import.meta.url)),
    env: {
      ...process.env,
      UPSTREAM_URL: upstreams.paced,
      WARM_UP_URL: upstreams.warmUp,
      AGENTRPC_STORE: store,
      AGENTRPC_LOG_LEVEL: 'warn',
      AGENTRPC_TRANSPORTS: transports,
      // e.g. SERVER_NODE_OPTIONS=--cpu-prof for a CPU profile of the server alone.
      ...(process.env.SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVER_NODE_OPTIONS } : {}),
    },
  });
  const clients = Array.from({ length: 8 }, () =>
    createClient({ url: server.url, apiKey: 'load-key', transport }),
  );
  const streamTo =
    (agentId: string): StreamOne =>
    async (i, onDelta) => {
      const runs = clients[i % clients.length]!.runs;
      for await (const event of runs.stream({ agentId, input: `stream ${i}` })) {
        if (event.type === 'run.content') onDelta(event.delta);
        if (event.type === 'run.error') throw new Error(event.message);
      }
    };
  await warmUp(streamTo('warm-up'));
  const usage = watchProcess(server.child.pid ?? 0);
  const figures = await collect(streams, streamTo('load'));
  const middle = usage(figures.lateness.length);
  for (const client of clients) client.close();
  await server.stop();
  const where = transports === 'trpc' ? "agentrpc server on tRPC's adapters" : 'agentrpc server';
  const path = `${where} + SDK, ${transport === 'ws' ? 'WebSocket' : 'SSE'}`;
  return row(path, streams, figures, middle);
}

const upstream = await startUpstream({
  CHUNKS: String(chunks),
  CHUNK_CHARS: '4',
  CHUNK_DELAY_MS: String(gapMs),
});
const warmUpUpstream = await startUpstream({ CHUNKS: '20', CHUNK_CHARS: '4' });
const rows: string[] = [];
for (const streams of sizes) {
  const upstreams = { paced: upstream.baseURL, warmUp: warmUpUpstream.baseURL };
  for (const measure of [
    () => measureFloor(streams, upstream.baseURL),
    () => measureDirect(streams, upstreams),
    () => measureBareProxy(streams, upstreams),
    ...clientTransports.flatMap((transport) =>
      serverTransports.map(
        (transports) => () => measureServer(streams, upstreams, { transports, transport }),
      ),
    ),
  ]) {
    rows.push(await measure());
    console.log(rows.at(-1));
  }
}
await upstream.stop();
await warmUpUpstream.stop();

const lines = [
  '',
  '## Load: concurrent streaming runs (`pnpm bench:load`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB.`,
  `The fake upstream (its own process) sends ${chunks} chunks ${gapMs} ms apart per stream, on a fixed schedule; streams`,
  `start over ${rampMs / 1000} s. All processes share the machine. Each size is measured these ways, one after another:`,
  '- node:http, direct (floor): the client process reads the upstream with node:http and JSON.parse and nothing',
  '  else; what is late here is the machine (upstream and client sharing two cores), before any SDK or server.',
  '- openai SDK, direct: the client process streams straight from the upstream with the plain openai SDK (8 clients).',
  '- bare proxy: a process in the middle doing the least any server must (bench/src/bare-proxy.ts): node:http to the',
  '  upstream, JSON.parse per chunk, one WebSocket frame per delta to 8 connections from the client process; no',
  '  auth, run records, event log, metrics or frame batching.',
  `- agentrpc: the same streams as runs through one agentrpc server process (store: ${store.split(':')[0]}) over ${clientTransports.map((t) => (t === 'ws' ? 'WebSocket' : 'SSE')).join(' and ')},`,
  "  8 SDK clients in the client process; and the same server with its subscriptions served by tRPC's own",
  '  standalone and ws adapters instead of its hand-written transports (AGENTRPC_TRANSPORTS=trpc).',
  `Every path serves ${warmUpRuns.toLocaleString('en')} short unpaced streams first, not counted, so its code is compiled as in service;`,
  'the proxy and the server are fresh processes for each size.',
  "- Lateness: per chunk, how much later than the upstream's pacing it reaches the client (chunk k is due k × the",
  '  pacing after chunk 0), counted from the quickest chunk of its stream.',
  '- Added gap: per chunk, its gap to the previous chunk minus the pacing (negative when it catches up).',
  '- Chunks merged into one delta all count as arriving with it.',
  '- RSS and CPU are of the process in the middle (proxy or server): CPU is its user + system time over the run,',
  '  divided by the chunks delivered.',
  '',
  '| path | streams | peak at once | completed | errors | lateness p50 ms | lateness p99 ms | added gap p50 ms | added gap p99 ms | peak RSS MiB | CPU µs per chunk | wall s |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  'Target: 2,000 streams with p99 added latency between chunks ≤ 20 ms, RSS ≤ 1 GiB, 0 errors. Rerun: `pnpm bench:load`',
  '(STREAMS=250,500,1000,2000 for a sweep; CHUNKS, GAP_MS, RAMP_MS, TRANSPORT=ws,sse, STORE=sqlite:<path>,',
  'SERVER_TRANSPORTS=agentrpc,trpc).',
  '',
];
console.log(lines.join('\n'));
const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const previous = readFileSync(results, 'utf8').split('\n## Load:')[0]?.trimEnd() ?? '';
writeFileSync(results, `${previous}\n${lines.join('\n')}`);
