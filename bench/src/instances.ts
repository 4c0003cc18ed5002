// `pnpm --filter @agentrpc/bench bench:instances`: two server processes on one
// store, behind a round-robin client. Each run is streamed from the instance
// that runs it; half the runs are also followed (runs.events) from the other
// instance, which reads it from the store. Checks that every follower gets
// every event exactly once, and measures how much later than the
// runner's own stream each event reaches it. STORE is the shared store:
// a SQLite file by default (both processes open it), or a mongodb:// URL.
import { rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServedAgentRpc } from '@agentrpc/testing';
import { percentile } from './load-measure.ts';
import { startLoadServer } from './load-server.ts';
import { streamEvents } from './raw-clients.ts';
import { writeResultsSection } from './results-file.ts';
import { startUpstream } from './upstream-process.ts';

const streams = Number(process.env.STREAMS ?? 500);
const chunks = Number(process.env.CHUNKS ?? 100);
const gapMs = Number(process.env.GAP_MS ?? 50);
const rampMs = Number(process.env.RAMP_MS ?? 2000);
const freshFile = join(tmpdir(), `agentrpc-instances-${process.pid}.db`);
const store = process.env.STORE ?? `sqlite:${freshFile}`;
const apiKey = 'load-key';
const headers = { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' };

const upstream = await startUpstream({
  CHUNKS: String(chunks),
  CHUNK_CHARS: '4',
  CHUNK_DELAY_MS: String(gapMs),
});
const upstreams = { paced: upstream.baseURL, warmUp: upstream.baseURL };
const serve = (instanceId: string) =>
  startLoadServer({ upstreams, store, env: { AGENTRPC_INSTANCE_ID: instanceId } });
const servers: ServedAgentRpc[] = [await serve('a'), await serve('b')];
const agent = new http.Agent({ keepAlive: true });

interface Seen {
  /** Arrival time of each event, by seq. */
  at: Map<number, number>;
  repeated: number;
}

/** Reads a run's events from `url`, noting when each seq arrived. */
function follow(url: string, seen: Seen, onFirst?: () => void): Promise<void> {
  return streamEvents(agent, { method: 'GET', url, headers }, ({ event, data }) => {
    if (event === 'serialized-error') throw new Error(data);
    if (event || !data) return;
    const { seq } = (JSON.parse(data) as { json: { seq: number } }).json;
    if (seen.at.has(seq)) seen.repeated++;
    else seen.at.set(seq, performance.now());
    if (seen.at.size === 1) onFirst?.();
  });
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify({ json: value }));
const results: { runner: Seen; follower?: Seen }[] = [];
let failures = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: streams }, async (_, i) => {
    await new Promise((resolve) => setTimeout(resolve, (i / streams) * rampMs));
    const [runsOn, followedOn] = i % 2 ? [servers[1]!, servers[0]!] : [servers[0]!, servers[1]!];
    const runId = `i${i}-${process.pid}`;
    const runner: Seen = { at: new Map(), repeated: 0 };
    const result: { runner: Seen; follower?: Seen } = { runner };
    results.push(result);
    let following: Promise<void> | undefined;
    const startFollower = () => {
      if (i % 4 >= 2) return; // half the runs are followed from the other instance
      const follower: Seen = { at: new Map(), repeated: 0 };
      result.follower = follower;
      following = follow(`${followedOn.url}/trpc/runs.events?input=${input({ runId })}`, follower);
    };
    try {
      const url = `${runsOn.url}/trpc/runs.stream?input=${input({ agentId: 'load', input: `run ${i}`, runId })}`;
      await follow(url, runner, startFollower);
      await following;
    } catch {
      failures++;
    }
  }),
);
const wallS = (performance.now() - started) / 1000;
for (const server of servers) await server.stop();
if (!process.env.STORE) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${freshFile}${suffix}`, { force: true });
}
await upstream.stop();
agent.destroy();

// Exactly once and in full: the follower saw every seq the runner saw, none twice.
const followed = results.filter((r) => r.follower);
let lost = 0;
let repeated = 0;
const delays: number[] = [];
for (const { runner, follower } of followed) {
  if (!follower) continue;
  repeated += follower.repeated;
  for (const [seq, at] of runner.at) {
    const seen = follower.at.get(seq);
    if (seen === undefined) lost++;
    else delays.push(seen - at);
  }
}
const events = followed.reduce((sum, r) => sum + r.runner.at.size, 0);
const ms = (p: number) => percentile(delays, p).toFixed(1);
const section = [
  '',
  '## Two instances on one store (`bench:instances`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: two agentrpc server`,
  `processes on one store (${store.startsWith('sqlite:') ? 'one SQLite file, WAL' : store.split('://')[0]}), ${streams} runs of ${chunks} chunks ${gapMs} ms apart started over`,
  `${rampMs / 1000} s, alternately on each instance; half of them (two in every four) are also followed (runs.events) from the other`,
  'instance, which reads it from the store (every 100 ms, one store read for all the runs that instance follows;',
  "on MongoDB, from the live feed's pages: docs/deployment.md).",
  '',
  '| runs | followed from the other instance | events followed | lost | repeated | failed streams | delay p50 ms | delay p99 ms | wall s |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${streams} | ${followed.length} | ${events} | ${lost} | ${repeated} | ${failures} | ${ms(50)} | ${ms(99)} | ${wallS.toFixed(1)} |`,
  '',
  'Delay: how much later an event reached the follower than the stream of the instance running it.',
  'Rerun: `pnpm --filter @agentrpc/bench bench:instances` (STREAMS, CHUNKS, GAP_MS, STORE=mongodb://…;',
  'on FerretDB 1.x add `?maxPoolSize=20`; `scripts/ferretdb.sh start|start-pg <port>` starts one on SQLite or PostgreSQL,',
  'see docs/deployment.md).',
  '',
].join('\n');
console.log(section);
writeResultsSection('## Two instances on one store', section);
