// How `agentrpc serve` tunes V8 for a server that streams many runs: the
// launch flags this repository's launchers (`./dev start`, the load benches)
// pass and docs/deployment.md recommends (NODE_OPTIONS), and the old
// generation's growth, which the command sets itself.
import { setFlagsFromString } from 'node:v8';

/**
 * V8 grows its young generation with the allocation rate, and a server
 * streaming hundreds of runs allocates fast enough to take it to the ceiling
 * V8 derives from the machine's memory. Capped at 8 MiB per semi-space, the
 * server kept its CPU per streamed chunk at 500 and 1,000 streams with about
 * 60–100 MiB less resident memory (docs/deployment.md). A flag, because V8
 * reads it only at start.
 */
export const serverNodeFlags: readonly string[] = ['--max-semi-space-size=8'];

/**
 * How far the old generation may grow past what survived the last full
 * collection before the next one: 100 %, to twice that. Streaming keeps many
 * objects alive for a chunk's gap or two, long enough to be moved to the old
 * generation, where they die; V8's own factor (up to 4×) then let a server
 * with 1,000 streams hold some 250 MiB of old space for 60–80 MiB live. At
 * twice, resident memory at 1,000 streams fell from about 470 to 310 MiB for
 * the same CPU per chunk (docs/deployment.md). V8 reads this one at every full
 * collection, so it can be set after start; Node refuses it in NODE_OPTIONS.
 */
export const heapGrowingPercent = 100;

/** True when the command line chose the old generation's growth itself. */
export function growthChosen(execArgv: readonly string[]): boolean {
  return execArgv.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag));
}

/** Applies heapGrowingPercent to this process, unless `node --heap-growing-percent=…` chose otherwise. */
export function limitOldGenerationGrowth(): void {
  if (!growthChosen(process.execArgv)) {
    setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
  }
}
