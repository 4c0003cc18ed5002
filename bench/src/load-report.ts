// The Load section of bench/RESULTS.md: what was run, the rows, and the
// targets read as ratios against the baselines measured in the same run.
import { cpus, totalmem } from 'node:os';
import { gapPhases } from './gap-phases.ts';
import { loggedProxyName, transportName } from './load-baselines.ts';
import {
  type Arrivals,
  chunks,
  gapMs,
  type Measured,
  percentile,
  rampMs,
  row,
  warmUpRuns,
} from './load-measure.ts';
import { threadGroups } from './process-cpu.ts';

const header = [
  '| path | streams | peak at once | completed | shed | errors | TTFT p50 ms | TTFT p99 ms | lateness p50 ms | lateness p99 ms | added gap p50 ms | added gap p99 ms | peak RSS MiB | CPU µs per chunk | wall s |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];

const gapP99 = (m: Measured) => percentile(m.figures.addedGaps, 99);
/**
 * The first tokens the fairness target reads: every admitted stream's, or,
 * where shed streams asked again, those of streams asked for once the
 * server had refused one (new runs while it is saturated).
 */
const firstTokens = (m: Measured) => (m.retried ? m.figures.saturatedTtfts : m.figures.ttfts);
const ttftP99 = (m: Measured) => percentile(firstTokens(m), 99);
const meets = (ok: boolean) => (ok ? 'yes' : '**no**');

/** What the failed streams of each row failed with, as the client saw it; nothing when none failed. */
function errorLines(measured: Measured[]): string[] {
  const lines = measured.flatMap((m) =>
    Object.entries(m.figures.errorReasons).map(
      ([reason, count]) => `- ${m.path}, ${m.streams} streams: ${count} × ${reason}`,
    ),
  );
  return lines.length === 0 ? [] : ['', 'Errors, as the client saw them:', '', ...lines];
}

interface PairFigures {
  cpu: number;
  gap: number;
  gapBound: number;
  rss: number;
  rssBound: number;
}

/** The server against the bare proxy measured just before it, as the targets read. */
function pairFigures(proxy: Measured, server: Measured): PairFigures | undefined {
  if (!proxy.middle || !server.middle) return undefined;
  return {
    cpu: server.middle.cpuPerChunkUs / proxy.middle.cpuPerChunkUs,
    gap: gapP99(server),
    gapBound: 2 * gapP99(proxy) + 5,
    rss: server.middle.rssMiB,
    rssBound: 2 * proxy.middle.rssMiB + 100,
  };
}

/** The pair in the middle when ordered by `by` (of an even number, the worse of the two). */
function medianPair(pairs: PairFigures[], by: (pair: PairFigures) => number): PairFigures {
  const sorted = [...pairs].sort((a, b) => by(a) - by(b));
  return sorted[Math.floor(sorted.length / 2)] as PairFigures;
}

/** "k of n" when there is more than one pair, for a verdict's cell. */
function metIn(pairs: PairFigures[], met: (pair: PairFigures) => boolean): string {
  if (pairs.length === 1) return '';
  return `; ${pairs.filter(met).length} of ${pairs.length} pairs`;
}

/**
 * Per size and transport: each server run against the bare proxy run just
 * before it, and the target read on the median pair.
 */
function ratioRows(measured: Measured[]): string[] {
  const servers = new Map<string, Measured[]>();
  for (const server of measured.filter((m) => m.path.startsWith('agentrpc server + raw'))) {
    const key = `${server.streams}\t${server.path}`;
    const runs = servers.get(key);
    if (runs) runs.push(server);
    else servers.set(key, [server]);
  }
  const rows: string[] = [];
  for (const runs of servers.values()) {
    const [first] = runs as [Measured];
    const transport = first.path.endsWith('WebSocket') ? 'WebSocket' : 'SSE';
    const runsOf = (name: string) =>
      measured.filter(
        (m) => m.streams === first.streams && m.path === `${name} (node:http, ${transport})`,
      );
    const proxies = runsOf('bare proxy');
    const pairs = runs.flatMap((server, i) => {
      const proxy = proxies[i];
      const figures = proxy && pairFigures(proxy, server);
      return figures ? [figures] : [];
    });
    if (pairs.length === 0) continue;
    const cpuMet = (p: PairFigures) => p.cpu <= 1.5;
    const gapMet = (p: PairFigures) => p.gap <= p.gapBound;
    const rssMet = (p: PairFigures) => p.rss <= p.rssBound;
    const cpu = medianPair(pairs, (p) => p.cpu);
    const gap = medianPair(pairs, (p) => p.gap / p.gapBound);
    const rss = medianPair(pairs, (p) => p.rss / p.rssBound);
    const each = pairs.length > 1 ? `: ${pairs.map((p) => `${p.cpu.toFixed(2)}×`).join(', ')}` : '';
    const logged = runsOf(loggedProxyName)[0]?.middle;
    const cpuLogged =
      first.middle && logged
        ? `${(first.middle.cpuPerChunkUs / logged.cpuPerChunkUs).toFixed(2)}×`
        : '–';
    const errors = runs.reduce((sum, m) => sum + m.figures.errors, 0);
    const completed = runs.reduce((sum, m) => sum + m.figures.completed, 0);
    const whole = errors === 0 && completed === first.streams * runs.length;
    rows.push(
      `| ${first.streams} | ${transport} | ${cpu.cpu.toFixed(2)}× (${meets(cpuMet(cpu))}${metIn(pairs, cpuMet)}${each}) | ${gap.gap.toFixed(1)} ≤ ${gap.gapBound.toFixed(1)} (${meets(gapMet(gap))}${metIn(pairs, gapMet)}) | ${rss.rss.toFixed(0)} ≤ ${rss.rssBound.toFixed(0)} (${meets(rssMet(rss))}${metIn(pairs, rssMet)}) | ${errors} errors, ${completed}/${first.streams * runs.length} complete (${meets(whole)}) | ${cpuLogged} |`,
    );
  }
  return rows;
}

/** The CPU per chunk of each process in the middle, split by thread group. */
function threadRows(measured: Measured[]): string[] {
  return measured.flatMap(({ path, streams, middle }) => {
    if (!middle) return [];
    const groups = threadGroups.map((group) => middle.cpuPerChunkByThreadUs[group].toFixed(1));
    return [
      `| ${path} | ${streams} | ${middle.cpuPerChunkUs.toFixed(1)} | ${groups.join(' | ')} | ${middle.systemPerChunkUs.toFixed(1)} | ${middle.eventLoopSystemPerChunkUs.toFixed(1)} |`,
    ];
  });
}

/** Each row's added-gap p99 by phase, with the share of gaps in each. */
function phaseRows(measured: Measured[]): string[] {
  return measured.map(({ path, streams, figures }) => {
    const cells = gapPhases.map((phase) => {
      const gaps = figures.gapPhases[phase];
      if (gaps.length === 0) return '–';
      const share = (100 * gaps.length) / Math.max(1, figures.addedGaps.length);
      return `${percentile(gaps, 99).toFixed(1)} (${share.toFixed(0)} %)`;
    });
    return `| ${path} | ${streams} | ${percentile(figures.addedGaps, 99).toFixed(1)} | ${cells.join(' | ')} |`;
  });
}

/** The peers side by side: agno's figures over agentrpc's at each size. */
function peerRatios(measured: Measured[]): string[] {
  const lines: string[] = [];
  for (const agno of measured.filter((m) => m.path.startsWith('agno'))) {
    const ours = measured.find((m) => m.streams === agno.streams && m.path.startsWith('agentrpc'));
    if (!ours?.middle || !agno.middle) continue;
    lines.push(
      `| ${agno.streams} | ${(agno.middle.cpuPerChunkUs / ours.middle.cpuPerChunkUs).toFixed(2)}× | ${gapP99(ours).toFixed(1)} / ${gapP99(agno).toFixed(1)} | ${ttftP99(ours).toFixed(0)} / ${ttftP99(agno).toFixed(0)} | ${ours.middle.rssMiB.toFixed(0)} / ${agno.middle.rssMiB.toFixed(0)} | ${ours.figures.completed} / ${agno.figures.completed} |`,
    );
  }
  return lines;
}

/**
 * How much of an admitted run's wait for its first token came before the
 * provider was asked: until its run.started event, which the server sends once
 * it has. The rest is the provider's first chunk on its way through.
 */
function runStartsNote(m: Measured): string {
  const { runStarts } = m.figures;
  if (runStarts.length === 0) return '';
  const [p50, p99] = [percentile(runStarts, 50), percentile(runStarts, 99)];
  return ` Until the provider was asked (from asking to run.started): p50 ${p50.toFixed(1)}, p99 ${p99.toFixed(1)} ms.`;
}

/**
 * Beside a server row that refused above a cap, the bare proxy's run that
 * refused above the same cap in the same round (the same place among its
 * runs): what a server that does nothing but forward adds on this machine.
 */
function besideProxy(options: { m: Measured; run: number; overload: Measured[]; own: number }) {
  const { m, run, overload, own } = options;
  // The proxy refuses SSE streams only, so only the server's SSE rows have one beside them.
  const sse = m.path.includes(`, ${transportName.sse} (`);
  if (!m.path.startsWith('agentrpc') || !sse || m.refusedAbove === undefined) return '';
  const proxies = overload.filter(
    (p) => p.path.startsWith('bare proxy') && p.refusedAbove === m.refusedAbove,
  );
  const proxy = proxies[run];
  if (!proxy) return '';
  const proxyAdded = ttftP99(proxy) - own;
  const more = ttftP99(m) - ttftP99(proxy);
  return ` The bare proxy refusing above ${m.refusedAbove} in the same round: added TTFT p99 ${proxyAdded.toFixed(0)} ms, so the server ${more.toFixed(0)} ms more.`;
}

/** Each overload row's added TTFT p99 against its gap p99, the floor's TTFT p50 taken off. */
function overloadLines(overload: Measured[]): string[] {
  const floor = overload.find((m) => m.path.startsWith('node:http'));
  const own = floor ? percentile(floor.figures.ttfts, 50) : 0;
  // The same measure with no server at all: what the client and the machine spread on their own.
  // When the client alone misses, the verdicts below say as much about the machine as the server.
  const floorSpread = floor ? ttftP99(floor) - own : 0;
  const floorBound = floor ? 2 * gapP99(floor) : 0;
  const floorLine = floor
    ? [
        `- ${floor.path}, no server: TTFT p99 less p50 ${floorSpread.toFixed(0)} ms against 2 × gap p99 = ${floorBound.toFixed(0)} ms (${meets(floorSpread <= floorBound)}: the client and the machine alone).`,
      ]
    : [];
  // Each policy's runs together: how many of them met the target, then each run.
  const byPolicy = new Map<string, Measured[]>();
  for (const m of overload.filter((m) => m !== floor)) {
    byPolicy.set(m.path, [...(byPolicy.get(m.path) ?? []), m]);
  }
  return floorLine.concat(
    [...byPolicy].flatMap(([path, runs]) => {
      const verdicts = runs.map((m) => {
        const added = ttftP99(m) - own;
        const bound = 2 * gapP99(m);
        return { m, added, bound, met: added <= bound };
      });
      const met = verdicts.filter((v) => v.met).length;
      return [
        `- ${path}: met in ${met} of ${runs.length} run${runs.length === 1 ? '' : 's'}.`,
        ...verdicts.map(
          ({ m, added, bound, met }, run) =>
            `  - added TTFT p99 ${added.toFixed(0)} ms (TTFT p99 ${ttftP99(m).toFixed(0)}${m.retried ? ` of the ${firstTokens(m).length} asked for while it was saturated,` : ''} less ${own.toFixed(0)}) against 2 × gap p99 = ${bound.toFixed(0)} ms (${meets(met)}); ${m.figures.shed} of ${m.streams} shed, ${m.figures.errors} errors.${runStartsNote(m)}${besideProxy({ m, run, overload, own })}`,
        ),
      ];
    }),
  );
}

/** Overload rows, what their failed streams failed with, and each policy's verdicts. */
function overloadTable(measured: Measured[]): string[] {
  return [...header, ...measured.map(row), ...errorLines(measured), '', ...overloadLines(measured)];
}

export interface LoadReport {
  store: string;
  throughput: Measured[];
  overload: Measured[];
  /** How often each shedding policy was run. */
  overloadRuns: number;
  /** Rows of overload that lasts: arrivals over a longer ramp, shed streams asking again. */
  held: Measured[];
  heldArrivals?: Arrivals;
  /** How many bare proxy and server runs, one after the other, at each size and transport. */
  pairs: number;
  peers: Measured[];
  /** Why the agno rows are missing, when they are. */
  peersSkipped?: string;
}

export function loadSection(report: LoadReport): string {
  const { throughput, overload, held, peers } = report;
  const lines = [
    '',
    '## Load: concurrent streaming runs (`pnpm bench:load`)',
    '',
    `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB.`,
    `The fake upstream (its own process) sends ${chunks} chunks ${gapMs} ms apart per stream, on a fixed schedule; streams`,
    `start over ${rampMs / 1000} s. Every path serves ${warmUpRuns.toLocaleString('en')} short unpaced streams first, not counted; the`,
    'process in the middle is a fresh one for each row. Every row is read by the same raw client (bench/src/raw-clients.ts:',
    'node:http or ws, one JSON.parse per event, nothing else), so that what differs between rows is the server.',
    '- node:http, direct (floor): the client reads the upstream itself; what is late here is the machine.',
    '- openai SDK, direct: the plain openai SDK reading the upstream, for scale.',
    '- bare proxy: the least any server in between must do (bench/src/bare-proxy.ts): node:http to the upstream,',
    '  JSON.parse and JSON.stringify per chunk, one SSE response per stream or one frame per delta on 8 WebSockets;',
    '  no auth, run records, event log or metrics. It accepts connections as the server does, on 64 sockets sharing',
    '  its port (since 2026-12-03 10:30; before, on one, and bursts of SSE streams waited seconds in the kernel for it).',
    '- bare proxy + event log: the same, but each event numbered and every 100 ms all streams’ new events written to',
    '  SQLite in one transaction on a worker thread, a row per stream (bench/src/proxy-event-log.ts), and a stream’s',
    '  last event sent once stored: the least a server that keeps its events durable, as agentrpc does, adds. For',
    '  scale only; the targets read against the bare proxy.',
    `- agentrpc server: \`agentrpc serve\` with the ${report.store.split(':')[0]} store (a fresh file per server), runs.stream over SSE (one GET`,
    '  per run) or over 8 WebSockets (a subscription per run), API-key auth, load shedding off for these rows; the built',
    '  package through its bin, as installed, with the Node flags `./dev start` uses (apps/server/src/node-flags.ts).',
    '- TTFT: from asking for the stream to its first delta; it includes the upstream’s own first chunk (see the floor).',
    "- Lateness: how much later than the upstream's pacing a chunk arrives, counted from the quickest chunk of its stream.",
    '- Added gap: a chunk’s gap to the previous one minus the pacing. Merged chunks count as arriving with their delta.',
    '- RSS and CPU are of the process in the middle: user + system time over the run (all its threads), per chunk delivered.',
    '',
    ...header,
    ...throughput.map(row),
    ...errorLines(throughput),
    '',
    'The targets, read from the rows above: server CPU per chunk ≤ 1.5× the bare proxy’s over the same transport;',
    'added-gap p99 ≤ 2× the proxy’s + 5 ms; peak RSS ≤ 2× the proxy’s + 100 MiB; no errors, every stream complete.',
    `Each server run is read against the bare proxy run just before it (${report.pairs} pair${report.pairs === 1 ? '' : 's'} at each size and transport,`,
    'PAIRS), and each target on the median pair, with how many pairs met it and, for CPU, every pair’s ratio.',
    'The event log column reads the first server run against the one bare proxy + event log run.',
    '',
    '| streams | transport | CPU per chunk × proxy | gap p99 ms ≤ bound | RSS MiB ≤ bound | streams | CPU per chunk × proxy + event log |',
    '| ---: | --- | --- | --- | --- | --- | ---: |',
    ...ratioRows(throughput),
    '',
    'Where that CPU goes, by thread (bench/src/process-cpu.ts): the event loop (the main thread), worker threads',
    '(the SQLite store’s event writer), V8’s helper threads (garbage collection and compilation), and the rest',
    '(libuv’s pool, threads that ended). µs per chunk delivered, as in the CPU column above. The last two columns are the',
    'system time of all threads and of the event loop: the kernel’s work for the process (socket reads and writes above',
    'all); the rest of the event loop’s is its JavaScript and garbage collection.',
    '',
    `| path | streams | all threads | ${threadGroups.join(' | ')} | of all, system | of the event loop, system |`,
    `| --- | ---: | ---: | ${threadGroups.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...threadRows(throughput),
    '',
    'When the added gaps come (bench/src/gap-phases.ts): while streams start (until the last stream’s first chunk),',
    'while all run, and while they end (from the first stream’s last chunk on). Added-gap p99 in ms, and the share of',
    'all gaps in that phase. A run’s start and end cost the server much more than a chunk, so a burst of them can make',
    'the p99 on its own.',
    '',
    `| path | streams | all | ${gapPhases.join(' | ')} |`,
    `| --- | ---: | ---: | ${gapPhases.map(() => '---:').join(' | ')} |`,
    ...phaseRows(throughput),
  ];
  if (overload.length > 0) {
    lines.push(
      '',
      '### Overload: one core, more streams than it can carry',
      '',
      'The agentrpc server pinned to one core (taskset) and given more streams than that core carries, first with',
      'load shedding off, then shedding at each loop delay in SHED_AT_MS (by default 100 ms, the shipped',
      '`limits.maxEventLoopDelayMs`, then 30 ms): new runs are refused with 429 and Retry-After while the event loop’s median',
      'delay over 250 ms is above it, and above the admission limit that goes with it (apps/server/src/run/admission-limit.ts:',
      'it starts at 64 running runs, grows a tenth at most every other 250 ms window while it holds runs back and the loop has',
      'been busy less than 40 % of the time over about a second and in the last window, and drops to 90 % of the runs going while',
      'the loop runs late, or has been busy more than 60 % of it, or a tick of the loop was more than 40 ms late, with the limit',
      'full; it grows only while none was more than 20 ms late); last, with that off, refusing new runs above CAP_AT running runs',
      '(`limits.maxRunningRuns`; by default 150, what one core carries at this pace for the server with its first tokens on time,',
      'and 300, for the bare proxy). While the server refuses new runs, an SSE `runs.stream` is refused before its credential is',
      'checked (apps/server/src/run/early-refusals.ts).',
      'Before each run with a cap, the bare proxy on the same core refusing SSE streams above the same cap (429 with',
      'Retry-After): what the machine alone does to first tokens when a server admits that many.',
      `Each shedding policy runs ${report.overloadRuns} times (OVERLOAD_RUNS; without shedding, once), the target read for`,
      'each run. Shed streams count under “shed”, not in TTFT. The target: the TTFT p99 the',
      'server adds to the runs it admits (TTFT p99 less the floor’s TTFT p50, the upstream’s own) ≤ 2× the added-gap',
      'p99 of the running ones.',
      '',
      ...overloadTable(overload),
    );
  }
  if (held.length > 0) {
    lines.push(
      '',
      '### Overload that lasts: users who come back',
      '',
      'The same server and bare proxy on one core, but the streams arrive over a longer ramp and a shed one asks again',
      'after its Retry-After (1 s, give or take a tenth) for as long as the row says, so the server stays saturated while',
      'runs end and others are let in: first the shipped policy (shedding at the default loop delay, with the admission',
      'limit), then, for each cap in CAP_AT, the bare proxy refusing above it and the server refusing above it. The target',
      'reads the streams asked for once the server had refused one: new runs while it is saturated (TTFT p99 of those,',
      'less the floor’s TTFT p50) against 2× the added-gap p99 of all the streams it ran.',
      ...(report.heldArrivals
        ? [
            `Streams arrive over ${report.heldArrivals.rampMs / 1000} s (HELD_RAMP_MS) and shed ones ask again until ${report.heldArrivals.retryShedForMs / 1000} s after the first`,
            '(HELD_FOR_MS); “shed” counts those never let in by then. HELD_STREAMS, 0 skips.',
          ]
        : []),
      '',
      ...overloadTable(held),
    );
  }
  lines.push('', '### Peers: agno’s AgentOS beside agentrpc, each on one core', '');
  if (peers.length === 0) {
    lines.push(`Skipped: ${report.peersSkipped ?? 'not run'}.`);
  } else {
    lines.push(
      'agno’s AgentOS (uvicorn, one worker, SqliteDb, telemetry off; bench/src/agno-os.py) and the agentrpc server',
      '(SQLite, shedding off), each pinned to the same core with taskset, on the same upstream, read by the same raw',
      'SSE client (agno: `POST /agents/{id}/runs` with `stream=true`, its RunContent events).',
      '',
      ...header,
      ...peers.map(row),
      ...errorLines(peers),
      '',
      '| streams | agno CPU per chunk ÷ agentrpc’s | gap p99 ms (agentrpc / agno) | TTFT p99 ms (agentrpc / agno) | RSS MiB (agentrpc / agno) | complete (agentrpc / agno) |',
      '| ---: | ---: | --- | --- | --- | --- |',
      ...peerRatios(peers),
    );
  }
  lines.push(
    '',
    'Rerun: `pnpm bench:load` (STREAMS=500,1000,2000 sizes; TRANSPORT=sse,ws; PAIRS; OVERLOAD_STREAMS, 0 skips; OVERLOAD_RUNS;',
    'OVERLOAD_TRANSPORTS=sse,ws; SHED_AT_MS; CAP_AT; PEER_STREAMS, 0 skips; STORE=memory|sqlite:<path>|mongodb://…;',
    'CLIENTS=raw,sdk adds SDK rows; SERVER_TRANSPORTS=agentrpc,trpc; LOGGED_PROXY=0 leaves out the proxy with a log;',
    'CHUNKS, GAP_MS, RAMP_MS).',
    '',
  );
  return lines.join('\n');
}
