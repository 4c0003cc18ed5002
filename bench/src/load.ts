// `pnpm bench:load`: many concurrent streaming runs through one agentrpc server
// (its own process) against a fake upstream that paces its chunks, beside
// baselines on the same upstream (load-baselines.ts): how late each chunk
// reaches the client, how much each gap between chunks grew, time to first
// token, errors, and the peak RSS and CPU per chunk of the process in the
// middle. Then the server on one core past what it carries, with and without
// load shedding, for a burst and for overload that lasts, and agno's AgentOS
// beside it (agno-peer.ts).
import { defaultLimits } from '../../apps/server/src/config/define-config.ts';
import { agnoPython, measureAgno } from './agno-peer.ts';
import { measureBareProxy, measureDirect, measureFloor } from './load-baselines.ts';
import { type Arrivals, chunks, gapMs, type Measured, row } from './load-measure.ts';
import { loadSection } from './load-report.ts';
import { type ClientKind, measureServer, type ServerPath, store } from './load-server.ts';
import { writeResultsSection } from './results-file.ts';
import { startUpstream } from './upstream-process.ts';

const list = (value: string) => value.split(',').filter(Boolean);
const sizes = list(process.env.STREAMS ?? '500,1000,2000').map(Number);
/** The transports to measure the server over: sse, ws or both. */
const transports = list(process.env.TRANSPORT ?? 'sse,ws') as ('sse' | 'ws')[];
/** Which code serves the server's subscriptions: its own transports, tRPC's adapters, or both. */
const serverTransports = list(process.env.SERVER_TRANSPORTS ?? 'agentrpc') as (
  | 'agentrpc'
  | 'trpc'
)[];
/** How the client reads the server: the raw client, as every row, and optionally the SDK. */
const clients = list(process.env.CLIENTS ?? 'raw') as ClientKind[];
/** Streams started on a one-core server, with and without load shedding (0 skips). */
const overloadStreams = Number(process.env.OVERLOAD_STREAMS ?? 1000);
/**
 * The transports of the overload rows: over SSE every new run is a new
 * connection, as browsers open them; over WebSocket a run is asked on a
 * connection already open, as a backend's client would.
 */
const overloadTransports = list(process.env.OVERLOAD_TRANSPORTS ?? 'sse') as ('sse' | 'ws')[];
/**
 * How often each shedding policy is run: the fairness target compares two
 * p99s that move with the machine from run to run, so one run says little.
 */
const overloadRuns = Math.max(1, Number(process.env.OVERLOAD_RUNS ?? 3));
/** Loop delays (ms) the overload rows shed at; 0 is a row without shedding. */
const shedAtMs = list(process.env.SHED_AT_MS ?? '0,100,30').map(Number);
/**
 * Running-run caps the overload rows shed above (with loop-delay shedding
 * off): by default 150, what one core carries at this pace for the server
 * with its first tokens on time, and 300, for the bare proxy (the server
 * spends about twice its CPU per chunk; the peers rows: 100 and 400).
 */
const capAt = list(process.env.CAP_AT ?? '150,300')
  .map(Number)
  .filter((n) => n > 0);
/**
 * How often the bare proxy and the server are measured, one after the other,
 * at each size and transport: the machine's speed moves from minute to minute
 * (the proxy's CPU per chunk at 500 streams has ranged over 43–83 µs in one
 * day), so the targets are read on each pair and on their median.
 */
const pairs = Math.max(1, Number(process.env.PAIRS ?? 3));
/**
 * Streams of the rows of overload that lasts (0 skips): they arrive over
 * HELD_RAMP_MS and a shed one asks again after its Retry-After until
 * HELD_FOR_MS, so the server stays saturated while runs end and new ones
 * are let in.
 */
const heldStreams = Number(process.env.HELD_STREAMS ?? 1000);
const heldArrivals: Arrivals = {
  rampMs: Number(process.env.HELD_RAMP_MS ?? 10_000),
  retryShedForMs: Number(process.env.HELD_FOR_MS ?? 20_000),
};
/** Whether the throughput rows add the bare proxy with an event log (LOGGED_PROXY=0 leaves it out). */
const loggedProxy = process.env.LOGGED_PROXY !== '0';
/** Sizes at which agno and agentrpc are compared, each on one core (0 skips). */
const peerSizes = list(process.env.PEER_STREAMS ?? '100,400')
  .map(Number)
  .filter((n) => n > 0);

const measured = (m: Measured) => {
  console.log(row(m));
  return m;
};

const upstream = await startUpstream({
  CHUNKS: String(chunks),
  CHUNK_CHARS: '4',
  CHUNK_DELAY_MS: String(gapMs),
});
const warmUpUpstream = await startUpstream({ CHUNKS: '20', CHUNK_CHARS: '4' });
const upstreams = { paced: upstream.baseURL, warmUp: warmUpUpstream.baseURL };

const throughput: Measured[] = [];
for (const streams of sizes) {
  throughput.push(measured(await measureFloor(streams, upstream.baseURL)));
  throughput.push(measured(await measureDirect(streams, upstreams)));
  for (const transport of transports) {
    for (let pair = 0; pair < pairs; pair++) {
      throughput.push(measured(await measureBareProxy(streams, upstreams, { transport })));
      if (loggedProxy && pair === 0) {
        const path = { transport, eventLog: true };
        throughput.push(measured(await measureBareProxy(streams, upstreams, path)));
      }
      for (const server of serverTransports) {
        for (const client of clients) {
          const path = { transports: server, transport, client };
          throughput.push(measured(await measureServer(streams, upstreams, path)));
        }
      }
    }
  }
}

const overload: Measured[] = [];
if (overloadStreams > 0) {
  // The floor at this size gives the upstream's own time to first token.
  overload.push(measured(await measureFloor(overloadStreams, upstream.baseURL)));
  // Without shedding a run takes long and says the same each time: once is enough.
  const policies: {
    policy: { maxEventLoopDelayMs: number; maxRunningRuns?: number };
    runs: number;
  }[] = [
    ...shedAtMs.map((maxEventLoopDelayMs) => ({
      policy: { maxEventLoopDelayMs },
      runs: maxEventLoopDelayMs > 0 ? overloadRuns : 1,
    })),
    ...capAt.map((maxRunningRuns) => ({
      policy: { maxEventLoopDelayMs: 0, maxRunningRuns },
      runs: overloadRuns,
    })),
  ];
  // Round after round, so a noisy minute of the machine does not fall on one policy alone.
  for (let round = 0; round < overloadRuns; round++) {
    for (const { policy } of policies.filter(({ runs }) => round < runs)) {
      for (const transport of overloadTransports) {
        // A bare proxy refusing above the same cap, on the same core: what the
        // machine alone does to first tokens when a server sheds this way.
        if (policy.maxRunningRuns && transport === 'sse') {
          const path = { transport, refuseAbove: policy.maxRunningRuns };
          overload.push(measured(await measureBareProxy(overloadStreams, upstreams, path)));
        }
        const pinned = {
          transports: 'agentrpc',
          transport,
          client: 'raw',
          overload: policy,
        } as const;
        overload.push(measured(await measureServer(overloadStreams, upstreams, pinned)));
      }
    }
  }
}

const held: Measured[] = [];
if (heldStreams > 0) {
  held.push(measured(await measureFloor(heldStreams, upstream.baseURL)));
  const onOneCore = (overload: ServerPath['overload']): ServerPath => ({
    transports: 'agentrpc',
    transport: 'sse',
    client: 'raw',
    overload,
    arrivals: heldArrivals,
  });
  // The shipped policy (shedding at the default loop delay, with the admission
  // limit), then each cap with the bare proxy refusing above it just before.
  const shipped = onOneCore({ maxEventLoopDelayMs: defaultLimits.maxEventLoopDelayMs });
  for (let round = 0; round < overloadRuns; round++) {
    held.push(measured(await measureServer(heldStreams, upstreams, shipped)));
    for (const cap of capAt) {
      const proxy = { transport: 'sse', refuseAbove: cap, arrivals: heldArrivals } as const;
      held.push(measured(await measureBareProxy(heldStreams, upstreams, proxy)));
      const capped = onOneCore({ maxEventLoopDelayMs: 0, maxRunningRuns: cap });
      held.push(measured(await measureServer(heldStreams, upstreams, capped)));
    }
  }
}

const peers: Measured[] = [];
const python = peerSizes.length > 0 ? agnoPython() : { skipped: 'PEER_STREAMS=0' };
if ('python' in python) {
  for (const streams of peerSizes) {
    const path = { transports: 'agentrpc', transport: 'sse', client: 'raw' } as const;
    const pinned = { ...path, overload: { maxEventLoopDelayMs: 0 } };
    peers.push(measured(await measureServer(streams, upstreams, pinned)));
    peers.push(measured(await measureAgno(streams, { python: python.python, upstreams })));
  }
} else {
  console.log(`agno rows skipped: ${python.skipped}`);
}
await upstream.stop();
await warmUpUpstream.stop();

const section = loadSection({
  store,
  throughput,
  overload,
  overloadRuns,
  held,
  heldArrivals,
  pairs,
  peers,
  ...('skipped' in python ? { peersSkipped: python.skipped } : {}),
});
console.log(section);
writeResultsSection('## Load:', section);
