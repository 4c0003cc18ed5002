// `pnpm bench:load`: many concurrent streaming runs through one agentrpc server
// (its own process) against a fake upstream that paces its chunks; reports how
// late each chunk reaches the client against the upstream's schedule and how
// much each gap between chunks grew (p50/p99), the server's peak RSS, CPU per
// chunk and errors. STREAMS may list several sizes (a fresh server for each).
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import { serveAgentRpc } from '@agentrpc/testing';
import OpenAI from 'openai';
import { startUpstream } from './upstream-process.ts';

const sizes = (process.env.STREAMS ?? '2000').split(',').map(Number);
const chunks = Number(process.env.CHUNKS ?? 200);
const gapMs = Number(process.env.GAP_MS ?? 50);
/** Streams start spread over this long, as users arrive, rather than in one instant. */
const rampMs = Number(process.env.RAMP_MS ?? 2000);
const transport = (process.env.TRANSPORT ?? 'ws') as 'sse' | 'ws';
/** Linux reports process CPU time in clock ticks of 1/100 s. */
const ticksPerSecond = 100;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** CPU time the process has used so far, in seconds (user + system). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Runs before measuring, so the server's code is compiled as in a server in service. */
const warmUpRuns = Number(process.env.WARM_UP_RUNS ?? 1000);

/** Streams `runs` short runs, 50 at a time. */
async function warmUp(client: ReturnType<typeof createClient>, runs: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < runs) {
      for await (const _ of client.runs.stream({ agentId: 'warm-up', input: 'warm up' })) {
        // read to the end
      }
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
}

/** Streams stream `i`, calling `onDelta` with each content delta as it arrives; settles at the end. */
type StreamOne = (i: number, onDelta: (delta: string) => void) => Promise<void>;

interface LoadFigures {
  peakLive: number;
  completed: number;
  errors: number;
  /** Per chunk: how much later than the upstream's pacing it arrived. */
  lateness: number[];
  /** Per chunk after the first: how much longer its gap to the previous one was than the pacing. */
  addedGaps: number[];
  wallS: number;
}

/** Runs `streams` streams, started over rampMs, and collects when each chunk arrived. */
async function collect(streams: number, streamOne: StreamOne): Promise<LoadFigures> {
  const figures: LoadFigures = {
    peakLive: 0,
    completed: 0,
    errors: 0,
    lateness: [],
    addedGaps: [],
    wallS: 0,
  };
  let live = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i / streams) * rampMs));
      live++;
      figures.peakLive = Math.max(figures.peakLive, live);
      try {
        /** Arrival time minus due time (k × pacing) of each chunk k. */
        const offsets: number[] = [];
        await streamOne(i, (delta) => {
          const now = performance.now();
          // A merged delta carries several chunks, each as late as the delta itself.
          const carried = Math.max(1, Math.round(delta.length / 4));
          for (let c = 0; c < carried; c++) offsets.push(now - offsets.length * gapMs);
        });
        // The stream's quickest chunk sets its path latency; the rest count by how much later they were.
        const base = Math.min(...offsets);
        for (const [k, offset] of offsets.entries()) {
          figures.lateness.push(offset - base);
          if (k > 0) figures.addedGaps.push(offset - (offsets[k - 1] ?? offset));
        }
        if (offsets.length === chunks) figures.completed++;
        else figures.errors++;
      } catch {
        figures.errors++;
      } finally {
        live--;
      }
    }),
  );
  figures.wallS = (performance.now() - started) / 1000;
  return figures;
}

function row(
  path: string,
  streams: number,
  figures: LoadFigures,
  server?: { rssMiB: number; cpuPerChunkUs: number },
): string {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(1);
  const { lateness, addedGaps } = figures;
  return `| ${path} | ${streams} | ${figures.peakLive} | ${figures.completed} | ${figures.errors} | ${ms(lateness, 50)} | ${ms(lateness, 99)} | ${ms(addedGaps, 50)} | ${ms(addedGaps, 99)} | ${server ? server.rssMiB.toFixed(0) : '–'} | ${server ? server.cpuPerChunkUs.toFixed(1) : '–'} | ${figures.wallS.toFixed(1)} |`;
}

/**
 * The floor: the same streams read straight from the upstream with node:http
 * and JSON.parse, the least work a Node client can do with them; what is
 * late here is late because of the machine, before any SDK or server.
 */
async function measureFloor(streams: number, upstreamURL: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: true });
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] });
  const figures = await collect(streams, async (_, onDelta) => {
    const request = http.request(`${upstreamURL}/chat/completions`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json' },
    });
    request.end(body);
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    response.setEncoding('utf8');
    let tail = '';
    response.on('data', (text: string) => {
      const lines = (tail + text).split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('data: {')) continue;
        const delta = JSON.parse(line.slice(6)).choices[0]?.delta?.content;
        if (delta) onDelta(delta);
      }
    });
    await once(response, 'end');
  });
  agent.destroy();
  return row('node:http, direct (floor)', streams, figures);
}

/** The baseline: the plain openai SDK streaming straight from the same upstream, in the client process. */
async function measureDirect(
  streams: number,
  upstreams: { paced: string; warmUp: string },
): Promise<string> {
  const clientsOf = (baseURL: string) =>
    Array.from({ length: 8 }, () => new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0 }));
  const streamFrom = (clients: OpenAI[]) => async (i: number, onDelta: (delta: string) => void) => {
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
  // Warmed up as the server is, with short unpaced streams (not counted).
  const warmUpStream = streamFrom(clientsOf(upstreams.warmUp));
  let next = 0;
  const worker = async () => {
    while (next < warmUpRuns) await warmUpStream(next++, () => {});
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  const figures = await collect(streams, streamFrom(clientsOf(upstreams.paced)));
  return row('openai SDK, direct', streams, figures);
}

/** Runs `streams` concurrent runs on a fresh agentrpc server; returns the table row. */
async function measureServer(
  streams: number,
  upstreams: { paced: string; warmUp: string },
): Promise<string> {
  const server = await serveAgentRpc({
    cli: fileURLToPath(new URL('../../apps/server/src/cli.ts', import.meta.url)),
    config: fileURLToPath(new URL('./load.config.ts', import.meta.url)),
    env: {
      ...process.env,
      UPSTREAM_URL: upstreams.paced,
      WARM_UP_URL: upstreams.warmUp,
      AGENTRPC_STORE: 'memory',
      AGENTRPC_LOG_LEVEL: 'warn',
    },
  });
  const pid = server.child.pid ?? 0;
  const clients = Array.from({ length: 8 }, () =>
    createClient({ url: server.url, apiKey: 'load-key', transport }),
  );
  await warmUp(clients[0]!, warmUpRuns);
  const cpuBefore = cpuSeconds(pid);
  const figures = await collect(streams, async (i, onDelta) => {
    for await (const event of clients[i % clients.length]!.runs.stream({
      agentId: 'load',
      input: `stream ${i}`,
    })) {
      if (event.type === 'run.content') onDelta(event.delta);
      if (event.type === 'run.error') throw new Error(event.message);
    }
  });
  const rssMiB = peakRssMiB(pid);
  const cpuPerChunkUs =
    ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, figures.lateness.length);
  for (const client of clients) client.close();
  await server.stop();
  return row(
    `agentrpc server + SDK, ${transport === 'ws' ? 'WebSocket' : 'SSE'}`,
    streams,
    figures,
    {
      rssMiB,
      cpuPerChunkUs,
    },
  );
}

const upstream = await startUpstream({
  CHUNKS: String(chunks),
  CHUNK_CHARS: '4',
  CHUNK_DELAY_MS: String(gapMs),
});
const warmUpUpstream = await startUpstream({ CHUNKS: '20', CHUNK_CHARS: '4' });
const rows: string[] = [];
for (const streams of sizes) {
  for (const measure of [
    () => measureFloor(streams, upstream.baseURL),
    () => measureDirect(streams, { paced: upstream.baseURL, warmUp: warmUpUpstream.baseURL }),
    () => measureServer(streams, { paced: upstream.baseURL, warmUp: warmUpUpstream.baseURL }),
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
  `start over ${rampMs / 1000} s. Each size is measured three ways, one after another:`,
  '- node:http, direct (floor): the client process reads the upstream with node:http and JSON.parse and nothing',
  '  else; what is late here is the machine (upstream and client sharing two cores), before any SDK or server.',
  '- openai SDK, direct: the client process streams straight from the upstream with the plain openai SDK (8 clients).',
  `- agentrpc: the same streams as runs through one fresh server process (memory store) over ${transport === 'ws' ? 'WebSocket' : 'SSE'},`,
  `  8 SDK clients in the client process. Each server first serves ${warmUpRuns.toLocaleString('en')} short unpaced runs, not counted,`,
  '  so its code is compiled as in a server in service.',
  'All processes share the machine.',
  "- Lateness: per chunk, how much later than the upstream's pacing it reaches the client (chunk k is due k × the",
  '  pacing after chunk 0), counted from the quickest chunk of its stream.',
  '- Added gap: per chunk, its gap to the previous chunk minus the pacing (negative when it catches up).',
  '- Chunks merged into one delta all count as arriving with it.',
  '- Server CPU per chunk: user + system time of the server process over the run, divided by the chunks delivered.',
  '',
  '| path | streams | peak at once | completed | errors | lateness p50 ms | lateness p99 ms | added gap p50 ms | added gap p99 ms | server peak RSS MiB | server CPU µs per chunk | wall s |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  'Target: 2,000 streams with p99 added latency between chunks ≤ 20 ms, RSS ≤ 1 GiB, 0 errors. Rerun: `pnpm bench:load`',
  '(STREAMS=250,500,1000,2000 for a sweep; CHUNKS, GAP_MS, RAMP_MS, TRANSPORT=sse|ws).',
  '',
];
console.log(lines.join('\n'));
const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const previous = readFileSync(results, 'utf8').split('\n## Load:')[0]?.trimEnd() ?? '';
writeFileSync(results, `${previous}\n${lines.join('\n')}`);
