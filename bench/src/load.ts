// `pnpm bench:load`: many concurrent streaming runs through one agentrpc server
// (its own process) against a fake upstream that paces its chunks; reports the
// gap the server adds between chunks (p50/p99), the server's peak RSS and errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import { serveAgentRpc } from '@agentrpc/testing';
import { startUpstream } from './upstream-process.ts';

const streams = Number(process.env.STREAMS ?? 2000);
const chunks = Number(process.env.CHUNKS ?? 40);
const gapMs = Number(process.env.GAP_MS ?? 50);
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
const gaps: number[] = [];
let errors = 0;
let completed = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: streams }, async (_, i) => {
    try {
      let last = 0;
      let ok = false;
      for await (const event of clients[i % clients.length]!.runs.stream({
        agentId: 'load',
        input: `stream ${i}`,
      })) {
        if (event.type === 'run.content') {
          const now = performance.now();
          // A merged delta carries several chunks: spread its gap over them.
          const carried = Math.max(1, Math.round(event.delta.length / 4));
          if (last) gaps.push((now - last) / carried - gapMs);
          last = now;
        }
        if (event.type === 'run.completed') ok = true;
        if (event.type === 'run.error') errors++;
      }
      if (ok) completed++;
    } catch {
      errors++;
    }
  }),
);
const wallS = (performance.now() - started) / 1000;
const rss = peakRssMiB(pid);
for (const client of clients) client.close();
await server.stop();
await upstream.stop();

const p50 = percentile(gaps, 50);
const p99 = percentile(gaps, 99);
const lines = [
  '',
  '## Load: concurrent streaming runs (`pnpm bench:load`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB.`,
  `${streams.toLocaleString('en')} runs started at once through one server process (memory store) over ${transport === 'ws' ? 'WebSocket' : 'SSE'},`,
  `8 SDK clients in one process; the fake upstream (its own process) sends ${chunks} chunks ${gapMs} ms apart per run.`,
  'Added gap = time between content events at the client, per chunk carried, minus the upstream pacing.',
  '',
  '| streams | completed | errors | added gap p50 ms | added gap p99 ms | server peak RSS MiB | wall s |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${streams} | ${completed} | ${errors} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${rss.toFixed(0)} | ${wallS.toFixed(1)} |`,
  '',
  'Target: 2,000 streams with p99 added gap ≤ 20 ms, RSS ≤ 1 GiB, 0 errors. Rerun: `pnpm bench:load`',
  '(STREAMS, CHUNKS, GAP_MS, TRANSPORT=sse|ws).',
  '',
];
console.log(lines.join('\n'));
const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const previous = readFileSync(results, 'utf8').split('\n## Load:')[0]?.trimEnd() ?? '';
writeFileSync(results, `${previous}\n${lines.join('\n')}`);
