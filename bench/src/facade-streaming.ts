// The /v1 facade against calling the upstream directly, both read by the
// official openai SDK: tokens per second and added time to first token, beside
// the same server read by the agentrpc SDK over SSE.
//   pnpm --filter @agentrpc/bench bench:facade
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

for (const setting of [
  { chunks: 20, delayMs: 2, rounds: 60 },
  { chunks: 200, delayMs: 2, rounds: 30 },
]) {
  const figures = await measure(setting);
  console.log(`\n### ${setting.chunks} chunks, ${setting.delayMs} ms between chunks\n`);
  console.log(table(figures).join('\n'));
}
