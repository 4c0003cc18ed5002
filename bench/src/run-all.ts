// `pnpm bench`: agent construction and streaming CPU per chunk, agentrpc beside
// the plain openai SDK and peer frameworks in one process, written to RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { type ConstructionFigures, measureConstructions, median } from './measure.ts';
import { agentrpc, peers, plainOpenAI } from './peers.ts';
import {
  measureServerStreaming,
  type ServerStreamingResult,
  transportComparison,
} from './server-streaming.ts';
import { runWorker, startUpstream } from './upstream-process.ts';

const chunks = Number(process.env.CHUNKS ?? 20_000);
const streamRounds = Number(process.env.ROUNDS ?? 5);
const streamPasses = Number(process.env.PASSES ?? 4);

function versionOf(pkg: string): string {
  // Read the installed package.json directly: not every package exports it.
  const path = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(path, 'utf8')).version;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

const resultsFile = new URL('../RESULTS.md', import.meta.url);
const previous = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';

/** A section written by hand (a decision read from the figures), kept from the last RESULTS.md. */
function keptSection(heading: string): string[] {
  const start = previous.indexOf(`\n${heading}\n`);
  if (start === -1) return [];
  const end = previous.indexOf('\n## ', start + heading.length + 2);
  return [previous.slice(start + 1, end === -1 ? undefined : end).trimEnd(), ''];
}

async function main() {
  const upstream = await startUpstream({ CHUNKS: String(chunks), CHUNK_CHARS: '4' });
  try {
    console.log('construction …');
    const makers = peers.flatMap((peer) => [
      peer.agentFactory(upstream.baseURL, true),
      peer.agentFactory(upstream.baseURL, false),
    ]);
    const figures = measureConstructions(makers);
    const construction = peers.map((peer, i) => ({
      peer,
      figures: figures[2 * i] as ConstructionFigures,
      inline: figures[2 * i + 1] as ConstructionFigures,
    }));

    console.log('streaming …');
    const runners = [plainOpenAI, ...peers];
    const samples = new Map<string, number[]>(runners.map((r) => [r.name, []]));
    // Passes in alternating order, each client in a fresh process per pass, so
    // drift in the machine's speed falls on every client alike.
    for (let pass = 0; pass < streamPasses; pass++) {
      const order = pass % 2 ? [...runners].reverse() : runners;
      for (const runner of order) {
        const figures = await runWorker({
          RUNNER: runner.name,
          BASE_URL: upstream.baseURL,
          CHUNKS: String(chunks),
          ROUNDS: String(streamRounds),
        });
        samples.get(runner.name)?.push(...figures);
      }
    }
    const baseline = median(samples.get(plainOpenAI.name) ?? []);
    const streaming = runners.map((r) => {
      const cpu = median(samples.get(r.name) ?? []);
      return { name: r.name, cpu, ratio: cpu / baseline };
    });

    console.log('server streaming …');
    const serverRuns: ServerStreamingResult[] = [];
    for (const setting of [
      { chunks: 20, delayMs: 2, rounds: 300 },
      { chunks: 200, delayMs: 2, rounds: 60 },
      { chunks: 2000, delayMs: 0, rounds: 10 },
    ]) {
      serverRuns.push(await measureServerStreaming(setting));
    }

    const oursRow = construction.find((c) => c.peer === agentrpc);
    const aiSdkRow = construction.find((c) => c.peer.name.startsWith('Vercel'));
    const ratio = (pick: 'figures' | 'inline', key: 'nsPerObject' | 'bytesPerObject') =>
      fmt((oursRow?.[pick][key] ?? 0) / (aiSdkRow?.[pick][key] ?? 1));
    const ourStream = streaming.find((s) => s.name === agentrpc.name);
    const versions = {
      node: process.version,
      openai: versionOf('openai'),
      ai: versionOf('ai'),
      '@ai-sdk/openai': versionOf('@ai-sdk/openai'),
      '@openai/agents': versionOf('@openai/agents'),
      '@mastra/core': versionOf('@mastra/core'),
    };
    const lines = [
      '# Benchmark results',
      '',
      `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Linux ${process.arch}.`,
      `Versions: ${Object.entries(versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
      'Rerun: `./dev test` once (installs everything), then `pnpm bench` (or e.g. `CHUNKS=20000 PASSES=6 pnpm bench`).',
      'The sections from “Load” on have commands of their own (`pnpm --filter @agentrpc/bench bench:load`,',
      '`bench:history` for a session’s 1,000th run against its first, and the others each names) and are kept as they are.',
      '',
      '## Agent construction',
      '',
      'One agent with an OpenAI Chat Completions model and one tool. The model and tool are built once; each',
      'iteration builds the agent, either with a tool list shared by all agents (the usual per-request pattern:',
      'tools defined at module level) or with a fresh list literal per agent (an array for agentrpc and the',
      'OpenAI Agents SDK, an object for the AI SDK and Mastra, as each API takes it). 50,000 agents per round',
      'kept alive; all variants warmed up first, then 15 rounds taken round-robin; median per variant. Heap is',
      '`heapUsed` after a forced GC, divided by the count.',
      '',
      '| framework | µs per agent (shared list) | KiB per agent (shared list) | µs per agent (fresh list) | KiB per agent (fresh list) |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...construction.map(
        ({ peer, figures, inline }) =>
          `| ${peer.name} | ${fmt(figures.nsPerObject / 1000, 3)} | ${fmt(figures.bytesPerObject / 1024, 3)} | ${fmt(inline.nsPerObject / 1000, 3)} | ${fmt(inline.bytesPerObject / 1024, 3)} |`,
      ),
      '',
      `Target: agentrpc no slower and no larger than the AI SDK. This run, shared list: ${ratio('figures', 'nsPerObject')}× its time, ${ratio('figures', 'bytesPerObject')}× its heap; fresh list: ${ratio('inline', 'nsPerObject')}× its time, ${ratio('inline', 'bytesPerObject')}× its heap.`,
      '',
      '## Client CPU per streamed chunk',
      '',
      `A fake OpenAI-compatible server in a child process streams ${chunks.toLocaleString('en')} content chunks of 4 characters;`,
      `the client process's CPU time (\`process.cpuUsage\`, user + system) to consume the whole stream is divided by the chunk count.`,
      `Each client runs in a process of its own (3 warm-up streams, then ${streamRounds} measured, a forced GC before each);`,
      `${streamPasses} passes in alternating order; the figure is the median of all measured streams.`,
      '',
      '| client | CPU µs per chunk | × plain openai SDK |',
      '| --- | ---: | ---: |',
      ...streaming.map((s) => `| ${s.name} | ${fmt(s.cpu)} | ${fmt(s.ratio)} |`),
      '',
      `Target: agentrpc ≤ 1.10× the plain openai SDK. This run: ${fmt(ourStream?.ratio ?? 0)}×.`,
      '',
      '## Through the server and SDK',
      '',
      'The fake upstream, the agentrpc server (`agentrpc serve`, memory store) and the client each run in',
      'their own process on this machine. Each path streams whole runs in turn (20 warm-up runs each); tokens',
      'per second is streamed text (4 characters a token, as the upstream sends them) over the whole run time,',
      'median over runs; the server merges deltas a slow reader has not taken yet. TTFT is from the call to the',
      'first content delta. The direct path is the openai SDK calling the same upstream. The upstream keeps',
      'idle connections for 60 s, as providers do, so both paths reuse theirs. Since this revision the server',
      "reads the upstream's stream itself (not through the openai SDK's parser), which is why it can beat",
      'the direct path on long unpaced streams.',
      '',
      ...serverRuns.flatMap((result) => {
        const direct = result.figures[0];
        return [
          `### ${result.setting}`,
          '',
          '| path | tokens/s | × direct | TTFT p50 ms | added p50 ms | TTFT p90 ms |',
          '| --- | ---: | ---: | ---: | ---: | ---: |',
          ...result.figures.map(
            (f) =>
              `| ${f.name} | ${fmt(f.tokensPerSecond, 0)} | ${fmt(f.tokensPerSecond / (direct?.tokensPerSecond ?? 1))} | ${fmt(f.ttftP50Ms)} | ${fmt(f.ttftP50Ms - (direct?.ttftP50Ms ?? 0))} | ${fmt(f.ttftP90Ms)} |`,
          ),
          '',
        ];
      }),
      'Targets: ≥ 0.90× the direct tokens per second; ≤ 2 ms added TTFT at p50. TTFT is read from the paced',
      'settings, where tokens come as a provider generates them; the short runs give it the most samples',
      "(300 per path). The unpaced setting measures throughput: the upstream's whole answer arrives in one",
      'burst, so its first delta waits behind the rest of the burst on the way through the server.',
      '',
      '## Hand-written transports against tRPC’s own',
      '',
      'The same router served two ways: by agentrpc’s own SSE and WebSocket transports, and by tRPC’s',
      'standalone and ws adapters (`AGENTRPC_TRANSPORTS=trpc`); and read two ways: by the SDK (its own',
      'SSE reader; over WebSocket, tRPC’s wsLink under its iterator) and by a bare tRPC client with',
      '`httpSubscriptionLink` (and the `eventsource` package) or `wsLink`. Each',
      'row pairs the two with everything else equal (rows of the tables above). A hand-written piece stays',
      'only where it is sooner by at least 1 ms TTFT p50 here, or 15 % better in server CPU per chunk or',
      'added-gap p99 at 1,000 streams in `pnpm bench:load`.',
      '',
      ...transportComparison(serverRuns),
      '',
      ...keptSection('## Transport decision'),
      ...keptSection('## SSE parsers'),
    ];
    const load = previous.includes('\n## Load:')
      ? `\n## Load:${previous.split('\n## Load:')[1]}`
      : '';
    writeFileSync(resultsFile, `${lines.join('\n')}${load}`);
    console.log(lines.join('\n'));
  } finally {
    await upstream.stop();
  }
}

await main();
