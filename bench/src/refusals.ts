// `pnpm --filter @agentrpc/bench bench:refusals`: what a run the server
// refuses (429 over SSE, as under overload) costs its process, beside a short
// run it takes. A saturated server refuses most of what arrives, on the core
// it has no time on, so a refusal should cost little of a run. The built
// server through its bin, on the load bench's config and a fresh SQLite file
// per server, pinned to its own core away from this client where the machine
// has two.
import { rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoadServer } from './load-server.ts';
import { median } from './measure.ts';
import { canPin, pinAwayFromServerCore, pinToServerCore } from './pin.ts';
import { watchCpu } from './process-cpu.ts';
import { writeResultsSection } from './results-file.ts';
import { startUpstream } from './upstream-process.ts';

const requests = Number(process.env.REQUESTS ?? 5000);
const rounds = Number(process.env.ROUNDS ?? 3);
/** Requests in flight at once. */
const concurrency = 20;

type Mode = 'refused' | 'taken';

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

/** One runs.stream over SSE, read to its end; resolves with the HTTP status. */
function streamOnce(url: string, options: { agentId: string; i: number }): Promise<number> {
  const runId = `r${options.i}-${Math.random().toString(36).slice(2)}`;
  const input = encodeURIComponent(
    JSON.stringify({ json: { agentId: options.agentId, input: `run ${options.i}`, runId } }),
  );
  const headers = { authorization: 'Bearer load-key', accept: 'text/event-stream' };
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/trpc/runs.stream?input=${input}`, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** `count` streams, `concurrency` at a time; how many ended with each status. */
async function streams(url: string, count: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const status = await streamOnce(url, { agentId: 'load', i: next++ });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** CPU µs per request of a fresh server that refuses every run (one held run fills its one slot) or takes each. */
async function measure(mode: Mode, upstreams: { quick: string; held: string }): Promise<number> {
  const path = join(tmpdir(), `agentrpc-refusals-${process.pid}-${mode}-${Date.now()}.db`);
  const server = await startLoadServer({
    // The load config's warm-up agent holds the one slot with a long stream.
    upstreams: { paced: upstreams.quick, warmUp: upstreams.held },
    store: `sqlite:${path}`,
    env: { MAX_RUNNING_RUNS: mode === 'refused' ? '1' : '100000', MAX_EVENT_LOOP_DELAY_MS: '0' },
  });
  try {
    const pid = server.child.pid ?? 0;
    pinToServerCore(pid);
    if (mode === 'refused') {
      void streamOnce(server.url, { agentId: 'warm-up', i: -1 }).catch(() => {});
      await sleep(500); // its run has the slot before any other asks
    }
    await streams(server.url, 1000); // warm-up
    const used = watchCpu(pid);
    const statuses = await streams(server.url, requests);
    const expected = mode === 'refused' ? 429 : 200;
    if (statuses.get(expected) !== requests) {
      throw new Error(
        `${mode}: expected ${requests} × ${expected}, got ${JSON.stringify([...statuses])}`,
      );
    }
    return (used().total * 1e6) / requests;
  } finally {
    await server.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }
}

pinAwayFromServerCore(process.pid);
const quick = await startUpstream({ CHUNKS: '2', CHUNK_CHARS: '4' });
const held = await startUpstream({ CHUNKS: '100000', CHUNK_CHARS: '4', CHUNK_DELAY_MS: '50' });
const figures: Record<Mode, number[]> = { refused: [], taken: [] };
try {
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['refused', 'taken'] as const) {
      const us = await measure(mode, { quick: quick.baseURL, held: held.baseURL });
      figures[mode].push(us);
      console.log(`${mode}: ${us.toFixed(0)} µs CPU per request`);
    }
  }
} finally {
  await quick.stop();
  await held.stop();
}

const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
const section = [
  '',
  '## Refusals: what a refused run costs the server (`bench:refusals`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: \`agentrpc serve\``,
  `(the load bench's config, a fresh SQLite file per server${canPin ? ', pinned to one core, the client on the others' : ', not pinned'}), ${requests} runs.stream`,
  `requests over SSE, ${concurrency} at a time, after 1,000 not counted; CPU (user + system, all threads) of the server's process per`,
  'request. Refused: the server runs its one allowed run (`limits.maxRunningRuns: 1`) and answers every request',
  '429 with Retry-After, as under overload. Taken: a run of two unpaced chunks, start to end.',
  '',
  '| request | CPU µs per request, median | each round |',
  '| --- | ---: | --- |',
  `| refused (429) | ${median(figures.refused).toFixed(0)} | ${list(figures.refused)} |`,
  `| taken (a two-chunk run) | ${median(figures.taken).toFixed(0)} | ${list(figures.taken)} |`,
  '',
  `A refusal costs ${(median(figures.refused) / median(figures.taken)).toFixed(2)}× a short run. Rerun: \`pnpm --filter @agentrpc/bench bench:refusals\` (REQUESTS, ROUNDS).`,
  '',
].join('\n');
console.log(section);
writeResultsSection('## Refusals:', section);
