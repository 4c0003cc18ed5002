// `pnpm --filter @agentrpc/bench bench:instances`: two server processes on one
// store, behind a round-robin client. Each run is streamed from the instance
// that runs it; half the runs are also followed (runs.events) from the other
// instance. Checks that every follower gets every event exactly once, and
// measures how much later than the runner's own stream each event reaches it,
// twice: with the instances sharing a peer secret (the follower's instance
// streams the run from the runner's) and without (it polls the store). STORE
// is the shared store: a SQLite file by default (both processes open it), or
// a mongodb:// URL.
import { rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServedAgentRpc } from '@agentrpc/testing';
import { percentile } from './load-measure.ts';
import { startLoadServer } from './load-server.ts';
import { watchMachine } from './machine-cpu.ts';
import { watchCpu } from './process-cpu.ts';
import { streamEvents } from './raw-clients.ts';
import { writeResultsSection } from './results-file.ts';
import { startUpstream } from './upstream-process.ts';

const streams = Number(process.env.STREAMS ?? 500);
const chunks = Number(process.env.CHUNKS ?? 100);
const gapMs = Number(process.env.GAP_MS ?? 50);
const rampMs = Number(process.env.RAMP_MS ?? 2000);
const freshFile = (mode: Mode) => join(tmpdir(), `agentrpc-instances-${process.pid}-${mode}.db`);
const storeOf = (mode: Mode) => process.env.STORE ?? `sqlite:${freshFile(mode)}`;
/** How the follower's instance reads a run live on the other: from that instance, or from the store. */
type Mode = 'peers' | 'store';
const modes = (process.env.MODES ?? 'peers,store').split(',') as Mode[];
const apiKey = 'load-key';
const headers = { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' };

const upstream = await startUpstream({
  CHUNKS: String(chunks),
  CHUNK_CHARS: '4',
  CHUNK_DELAY_MS: String(gapMs),
});
const upstreams = { paced: upstream.baseURL, warmUp: upstream.baseURL };
const serve = (mode: Mode, instanceId: string) =>
  startLoadServer({
    upstreams,
    store: storeOf(mode),
    env: {
      AGENTRPC_INSTANCE_ID: instanceId,
      ...(mode === 'peers' ? { AGENTRPC_PEER_SECRET: 'bench-peer-secret-0123456789' } : {}),
    },
  });
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
async function measure(mode: Mode) {
  const servers: ServedAgentRpc[] = [
    await serve(mode, `${mode}-a`),
    await serve(mode, `${mode}-b`),
  ];
  const results: { runner: Seen; follower?: Seen }[] = [];
  let failures = 0;
  const started = performance.now();
  const machine = watchMachine();
  const serversCpu = servers.map((server) => watchCpu(server.child.pid ?? 0));
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i / streams) * rampMs));
      const [runsOn, followedOn] = i % 2 ? [servers[1]!, servers[0]!] : [servers[0]!, servers[1]!];
      const runId = `${mode}-i${i}-${process.pid}`;
      const runner: Seen = { at: new Map(), repeated: 0 };
      const result: { runner: Seen; follower?: Seen } = { runner };
      results.push(result);
      let following: Promise<void> | undefined;
      const startFollower = () => {
        if (i % 4 >= 2) return; // half the runs are followed from the other instance
        const follower: Seen = { at: new Map(), repeated: 0 };
        result.follower = follower;
        following = follow(
          `${followedOn.url}/trpc/runs.events?input=${input({ runId })}`,
          follower,
        );
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
  const { busyShare, busySeconds } = machine();
  const serverSeconds = serversCpu.reduce((sum, cpuOf) => sum + cpuOf().total, 0);
  for (const server of servers) await server.stop();
  if (!process.env.STORE) {
    for (const suffix of ['', '-wal', '-shm'])
      rmSync(`${freshFile(mode)}${suffix}`, { force: true });
  }

  // Exactly once and in full: the follower saw every seq the runner saw, none twice.
  const followed = results.filter((r) => r.follower);
  let lost = 0;
  let repeated = 0;
  const delays: number[] = [];
  /** The follower's start apart: its first event, and those after the twentieth. */
  const firstDelays: number[] = [];
  const laterDelays: number[] = [];
  for (const { runner, follower } of followed) {
    if (!follower) continue;
    repeated += follower.repeated;
    for (const [seq, at] of runner.at) {
      const seen = follower.at.get(seq);
      if (seen === undefined) {
        lost++;
        continue;
      }
      delays.push(seen - at);
      if (seq === 1) firstDelays.push(seen - at);
      if (seq > 20) laterDelays.push(seen - at);
    }
  }
  const events = followed.reduce((sum, r) => sum + r.runner.at.size, 0);
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(1);
  const how = mode === 'peers' ? 'from the running instance (peer secret)' : 'from the store';
  const figures = [
    ms(delays, 50),
    ms(delays, 99),
    ms(firstDelays, 50),
    ms(laterDelays, 50),
    ms(laterDelays, 99),
  ];
  const percent = (share: number) => `${(share * 100).toFixed(0)} %`;
  const busy = `${percent(busyShare)} (${percent(busySeconds > 0 ? serverSeconds / busySeconds : 0)})`;
  return `| ${how} | ${streams} | ${followed.length} | ${events} | ${lost} | ${repeated} | ${failures} | ${figures.join(' | ')} | ${busy} | ${wallS.toFixed(1)} |`;
}

const rows: string[] = [];
for (const mode of modes) rows.push(await measure(mode));
await upstream.stop();
agent.destroy();
const store = storeOf('store');
const section = [
  '',
  '## Two instances on one store (`bench:instances`)',
  '',
  `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: two agentrpc server`,
  `processes on one store (${store.startsWith('sqlite:') ? 'one SQLite file, WAL' : store.split('://')[0]}), ${streams} runs of ${chunks} chunks ${gapMs} ms apart started over`,
  `${rampMs / 1000} s, alternately on each instance; half of them (two in every four) are also followed (runs.events) from the other`,
  'instance. That instance streams the run from the one running it when they share a peer secret (config `peers`),',
  'else reads it from the store (every 100 ms, one store read for all the runs that instance follows;',
  "on MongoDB, from the live feed's pages: docs/deployment.md). Each way with its own pair of fresh servers, one after the other.",
  '',
  "| follower reads | runs | followed from the other instance | events followed | lost | repeated | failed streams | delay p50 ms | delay p99 ms | first event, delay p50 ms | after the 20th, delay p50 ms | after the 20th, delay p99 ms | machine busy (the servers' share) | wall s |",
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  'Delay: how much later an event reached the follower than the stream of the instance running it. The follower',
  "starts when the runner's stream has its first event, so that event's delay is the follower's start (its request,",
  "the run's record read from the store, and, with peers, its connection to the other instance); after the 20th",
  '(a second into the run), mostly what following costs once started, but for followers that started later still.',
  `Machine busy: the share of all ${cpus().length} cores' time that some process (the servers, the store, this client, the`,
  "upstream) was running while the runs streamed, and of that the two servers' share. Near 100 %, every process waits",
  "for a core between its turns, and a follower's start is several such turns in a row (its request, the record's read,",
  "the relay's request, the first event back).",
  'Rerun: `pnpm --filter @agentrpc/bench bench:instances` (STREAMS, CHUNKS, GAP_MS, MODES=peers,store, STORE=mongodb://…;',
  'on FerretDB 1.x add `?maxPoolSize=12`; `scripts/ferretdb.sh start|start-pg <port>` starts one on SQLite or PostgreSQL,',
  'see docs/deployment.md).',
  '',
].join('\n');
console.log(section);
writeResultsSection('## Two instances on one store', section);
