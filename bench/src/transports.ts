// `pnpm --filter @agentrpc/bench bench:transports`: only the server-streaming
// part of `pnpm bench` (every pairing of agentrpc's transports and tRPC's own),
// printed with the comparison; `pnpm bench` writes the same rows to RESULTS.md.
import { measureServerStreaming, transportComparison } from './server-streaming.ts';

const scale = Number(process.env.ROUNDS_SCALE ?? 1);
const results = [];
for (const setting of [
  { chunks: 20, delayMs: 2, rounds: Math.round(300 * scale) },
  { chunks: 200, delayMs: 2, rounds: Math.round(60 * scale) },
  { chunks: 2000, delayMs: 0, rounds: Math.round(10 * scale) },
]) {
  const result = await measureServerStreaming(setting);
  results.push(result);
  console.log(`\n${result.setting}`);
  for (const f of result.figures) {
    console.log(
      `  ${f.name.padEnd(52)} ${f.tokensPerSecond.toFixed(0).padStart(8)} tok/s  TTFT p50 ${f.ttftP50Ms.toFixed(2)} ms  p90 ${f.ttftP90Ms.toFixed(2)} ms`,
    );
  }
}
console.log(`\n${transportComparison(results).join('\n')}`);
