// `pnpm --filter @agentrpc/bench bench:refusals`: what a run the server
// refuses (429, as under overload) costs its process, beside a short run it
// takes, asked for three ways: runs.stream over SSE, the runs.start mutation
// over HTTP (as the SDK calls it) and the OpenAI-compatible
// POST /v1/chat/completions, streamed. A saturated server refuses most of what
// arrives, on the core it has no time on, so a refusal should cost little of a
// run. The built server through its bin, on the load bench's config and a
// fresh SQLite file per server, pinned to its own core away from this client
// where the machine has two.
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
/** How a run is asked for: runs.stream over SSE, runs.start over HTTP, or the /v1 facade's streamed chat completion. */
type Way = 'sse' | 'start' | 'v1';
const ways: Way[] = ['sse', 'start', 'v1'];
const wayNames: Record<Way, string> = {
  sse: 'runs.stream over SSE',
  start: 'runs.start over HTTP',
  v1: 'POST /v1/chat/completions, streamed',
};

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

/** A POST of `body` as JSON, read to its end; resolves with the HTTP status. */
function postOnce(url: string, body: string): Promise<number> {
  const headers = {
    authorization: 'Bearer load-key',
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  return new Promise((resolve, reject) => {
    http
      .request(url, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject)
      .end(body);
  });
}

/** One runs.start mutation (it answers once the run has started; the run goes on). */
function startOnce(url: string, options: { agentId: string; i: number }): Promise<number> {
  const input = { json: { agentId: options.agentId, input: `run ${options.i}` } };
  return postOnce(`${url}/trpc/runs.start`, JSON.stringify(input));
}

/** One streamed chat completion from the /v1 facade, read to its end; resolves with the HTTP status. */
function completionOnce(url: string, options: { agentId: string; i: number }): Promise<number> {
  const body = JSON.stringify({
    model: options.agentId,
    messages: [{ role: 'user', content: `run ${options.i}` }],
    stream: true,
  });
  return postOnce(`${url}/v1/chat/completions`, body);
}

const askers = { sse: streamOnce, start: startOnce, v1: completionOnce };

/** `count` runs asked for `way`, `concurrency` at a time; how many ended with each status. */
async function streams(url: string, count: number, way: Way): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const status = await askers[way](url, { agentId: 'load', i: next++ });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** CPU µs per request of a fresh server that refuses every run (one held run fills its one slot) or takes each. */
async function measure(
  mode: Mode,
  way: Way,
  upstreams: { quick: string; held: string },
): Promise<number> {
  const path = join(tmpdir(), `agentrpc-refusals-${process.pid}-${mode}-${way}-${Date.now()}.db`);
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
    await streams(server.url, 1000, way); // warm-up
    // A run runs.start took goes on after its answer: the measure starts once
    // the warm-up's have ended and reads once the measured ones have.
    await sleep(1000);
    const used = watchCpu(pid);
    const statuses = await streams(server.url, requests, way);
    await sleep(1000);
    const expected = mode === 'refused' ? 429 : 200;
    if (statuses.get(expected) !== requests) {
      throw new Error(
        `${mode} (${way}): expected ${requests} × ${expected}, got ${JSON.stringify([...statuses])}`,
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
const figures: Record<Way, Record<Mode, number[]>> = {
  sse: { refused: [], taken: [] },
  start: { refused: [], taken: [] },
  v1: { refused: [], taken: [] },
};
try {
  for (let round = 0; round < rounds; round++) {
    for (const way of ways) {
      for (const mode of ['refused', 'taken'] as const) {
        const us = await measure(mode, way, { quick: quick.baseURL, held: held.baseURL });
        figures[way][mode].push(us);
        console.log(`${way} ${mode}: ${us.toFixed(0)} µs CPU per request`);
      }
    }
  }
} finally {
  await quick.stop();
  await held.stop();
}

const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
const rows = ways.flatMap((way) => {
  const { refused, taken } = figures[way];
  return [
    `| ${wayNames[way]} | refused (429) | ${median(refused).toFixed(0)} | ${list(refused)} |`,
    `| ${wayNames[way]} | taken (a two-chunk run) | ${median(taken).toFixed(0)} | ${list(taken)} |`,
  ];
});
const shares = ways
  .map((way) => {
    const { refused, taken } = figures[way];
    return `${(median(refused) / median(taken)).toFixed(2)}× (${wayNames[way]})`;
  })
  .join(', ');
const section = [
  '',
  '## Refusals: what a refused run costs the server (`bench:refusals`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: \`agentrpc serve\``,
  `(the load bench's config, a fresh SQLite file per server${canPin ? ', pinned to one core, the client on the others' : ', not pinned'}), ${requests} requests`,
  `for a run each way, ${concurrency} at a time, after 1,000 not counted; CPU (user + system, all threads) of the server's process per`,
  'request. Refused: the server runs its one allowed run (`limits.maxRunningRuns: 1`) and answers every request',
  '429 with Retry-After, as under overload. Taken: a run of two unpaced chunks, start to end (runs.start answers',
  'once the run has started; the server is measured until its runs have ended).',
  '',
  '| asked by | request | CPU µs per request, median | each round |',
  '| --- | --- | ---: | --- |',
  ...rows,
  '',
  `A refusal costs ${shares} a short run. Rerun: \`pnpm --filter @agentrpc/bench bench:refusals\` (REQUESTS, ROUNDS).`,
  '',
].join('\n');
console.log(section);
writeResultsSection('## Refusals:', section);
