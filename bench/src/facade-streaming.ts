// The /v1 facade against calling the upstream directly, both read by the
// official openai SDK: tokens per second and added time to first token, beside
// the same server read by the agentrpc SDK over SSE; written to its section of
// bench/RESULTS.md.
//   pnpm --filter @agentrpc/bench bench:facade
import { cpus } from 'node:os';
import { writeResultsSection } from './results-file.ts';
import {
  directRunner,
  measurePaths,
  openaiRunner,
  type PathFigures,
  sdkRunner,
  startAgentRpcServer,
} from './server-streaming.ts';
import { startUpstream } from './upstream-process.ts';

async function measure(setting: { chunks: number; delayMs: number; rounds: number }) {
  const upstream = await startUpstream({
    CHUNKS: String(setting.chunks),
    CHUNK_CHARS: '4',
    CHUNK_DELAY_MS: String(setting.delayMs),
  });
  const server = await startAgentRpcServer(upstream, 'agentrpc');
  const sdk = sdkRunner(server.url, 'sse');
  try {
    return await measurePaths(
      [
        { name: 'openai SDK, direct', run: directRunner(upstream.baseURL) },
        {
          name: 'openai SDK → agentrpc /v1 facade',
          run: openaiRunner({ baseURL: `${server.url}/v1`, apiKey: 'bench-key', model: 'bench' }),
        },
        { name: 'agentrpc SDK, SSE', run: sdk.run },
      ],
      setting.rounds,
    );
  } finally {
    sdk.close();
    server.stop();
    await upstream.stop();
  }
}

function table(figures: PathFigures[]): string[] {
  const direct = figures[0] as PathFigures;
  return [
    '| path | tokens/s | × direct | TTFT p50 ms | added p50 ms | TTFT p90 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...figures.map(
      (f) =>
        `| ${f.name} | ${f.tokensPerSecond.toFixed(0)} | ${(f.tokensPerSecond / direct.tokensPerSecond).toFixed(2)} | ${f.ttftP50Ms.toFixed(2)} | ${(f.ttftP50Ms - direct.ttftP50Ms).toFixed(2)} | ${f.ttftP90Ms.toFixed(2)} |`,
    ),
  ];
}

const settings = [
  { chunks: 20, delayMs: 2, rounds: 60 },
  { chunks: 200, delayMs: 2, rounds: 30 },
];
const tables: string[] = [];
const verdicts: string[] = [];
for (const setting of settings) {
  const figures = await measure(setting);
  const heading = `### ${setting.chunks} chunks, ${setting.delayMs} ms between chunks`;
  tables.push(heading, '', ...table(figures), '');
  console.log(`\n${heading}\n\n${table(figures).join('\n')}`);
  const [direct, facade] = figures as [PathFigures, PathFigures];
  const share = facade.tokensPerSecond / direct.tokensPerSecond;
  const added = facade.ttftP50Ms - direct.ttftP50Ms;
  const met = share >= 0.9 && added <= 2;
  verdicts.push(
    `${setting.chunks} chunks: ${share.toFixed(2)}× the tokens per second, ${added.toFixed(2)} ms added (${met ? 'met' : '**not met**'})`,
  );
}
writeResultsSection(
  '## The /v1 facade against calling the upstream directly',
  [
    '',
    '## The /v1 facade against calling the upstream directly (`bench:facade`)',
    '',
    `Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores: the fake upstream and the`,
    'agentrpc server (memory store) in their own processes, each path run in turn after 20 warm-up runs;',
    'both the direct path and the facade are read by the official openai Node SDK. Tokens per second and',
    'TTFT as in "Through the server and SDK".',
    '',
    ...tables,
    `Targets: ≥ 0.90× the direct tokens per second; ≤ 2 ms added TTFT at p50. This run: ${verdicts.join('; ')}.`,
    'Rerun: `pnpm --filter @agentrpc/bench bench:facade`.',
    '',
  ].join('\n'),
);
