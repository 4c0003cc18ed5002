// `pnpm bench:load`: many concurrent streaming runs through one agentrpc server
// (its own process) against a fake upstream that paces its chunks; reports how
// late each chunk reaches the client against the upstream's schedule (p50/p99),
// the server's peak RSS and errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import { serveAgentRpc } from '@agentrpc/testing';
import { startUpstream } from './upstream-process.ts';

const streams = Number(process.env.STREAMS ?? 2000);
const chunks = Number(process.env.CHUNKS ?? 200);
const gapMs = Number(process.env.GAP_MS ?? 50);
/** Streams start spread over this long, as users arrive, rather than in one instant. */
const rampMs = Number(process.env.RAMP_MS ?? 2000);
const transport = (process.env.TRANSPORT ?? 'ws') as 'sse' | 'ws';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

const upstream = await startUpstream({
  CHUNKS: String(chunks),
  CHUNK_CHARS: '4',
  CHUNK_DELAY_MS: String(gapMs),
});
const cli = fileURLToPath(new URL('../../apps/server/src/cli.ts', import.meta.url));
const config = fileURLToPath(new URL('./load.config.ts', import.meta.url));
const server = await serveAgentRpc({
  cli,
  config,
  env: {
    ...process.env,
    UPSTREAM_URL: upstream.baseURL,
    AGENTRPC_STORE: 'memory',
    AGENTRPC_LOG_LEVEL: 'warn',
  },
});
const url = server.url;
const pid = server.child.pid ?? 0;

const clients = Array.from({ length: 8 }, () =>
  createClient({ url, apiKey: 'load-key', transport }),
);
/** Per chunk: how much later than the upstream's pacing it arrived (see the note written below). */
const lateness: number[] = [];
let errors = 0;
let completed = 0;
let live = 0;
let peakLive = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: streams }, async (_, i) => {
    await new Promise((resolve) => setTimeout(resolve, (i / streams) * rampMs));
    live++;
    peakLive = Math.max(peakLive, live);
    try {
      /** Arrival time minus due time (k × pacing) of each chunk k. */
      const offsets: number[] = [];
      let ok = false;
      for await (const event of clients[i % clients.length]!.runs.stream({
        agentId: 'load',
        input: `stream ${i}`,
      })) {
        if (event.type === 'run.content') {
          const now = performance.now();
          // A merged delta carries several chunks, each as late as the delta itself.
          const carried = Math.max(1, Math.round(event.delta.length / 4));
          for (let c = 0; c < carried; c++) offsets.push(now - offsets.length * gapMs);
        }
        if (event.type === 'run.completed') ok = true;
        if (event.type === 'run.error') errors++;
      }
      // The stream's quickest chunk sets its path latency; the rest count by how much later they were.
      const base = Math.min(...offsets);
      for (const offset of offsets) lateness.push(offset - base);
      if (ok) completed++;
    } catch {
      errors++;
    } finally {
      live--;
    }
  }),
);
const wallS = (performance.now() - started) / 1000;
const rss = peakRssMiB(pid);
for (const client of clients) client.close();
await server.stop();
await upstream.stop();

const p50 = percentile(lateness, 50);
const p99 = percentile(lateness, 99);
const lines = [
  '',
  '## Load: concurrent streaming runs (`pnpm bench:load`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB.`,
  `${streams.toLocaleString('en')} runs through one server process (memory store) over ${transport === 'ws' ? 'WebSocket' : 'SSE'}, starting over ${rampMs / 1000} s`,
  `(${peakLive.toLocaleString('en')} streaming at once at the peak), 8 SDK clients in one process; the fake upstream (its own process)`,
  `sends ${chunks} chunks ${gapMs} ms apart per run, on a fixed schedule.`,
  "Added latency = per chunk, how much later than the upstream's pacing it reaches the client: chunk k",
  'is due k × the pacing after chunk 0, counted from the quickest chunk of its stream; chunks merged into',
  'one delta all count as arriving with it.',
  '',
  '| streams | peak at once | completed | errors | added latency p50 ms | added latency p99 ms | server peak RSS MiB | wall s |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${streams} | ${peakLive} | ${completed} | ${errors} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${rss.toFixed(0)} | ${wallS.toFixed(1)} |`,
  '',
  'Target: 2,000 streams with p99 added latency between chunks ≤ 20 ms, RSS ≤ 1 GiB, 0 errors. Rerun: `pnpm bench:load`',
  '(STREAMS, CHUNKS, GAP_MS, RAMP_MS, TRANSPORT=sse|ws).',
  '',
];
console.log(lines.join('\n'));
const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const previous = readFileSync(results, 'utf8').split('\n## Load:')[0]?.trimEnd() ?? '';
writeFileSync(results, `${previous}\n${lines.join('\n')}`);
