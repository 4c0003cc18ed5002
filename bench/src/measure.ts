// Measurement helpers: construction time and retained heap per object, and
// client CPU time per streamed chunk. Each figure is the median of several rounds.
const gc = (globalThis as { gc?: () => void }).gc;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * The median of `rounds` measurements of each of two variants, measured in
 * turn and in alternating order, so that neither always runs on a warmer
 * machine.
 */
export async function sideBySide<V extends string>(
  variants: readonly [V, V],
  rounds: number,
  measure: (variant: V) => number | Promise<number>,
): Promise<Record<V, number>> {
  const [a, b] = variants;
  const samples = new Map<V, number[]>([
    [a, []],
    [b, []],
  ]);
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 ? [b, a] : [a, b]) {
      samples.get(variant)?.push(await measure(variant));
    }
  }
  return { [a]: median(samples.get(a) ?? []), [b]: median(samples.get(b) ?? []) } as Record<
    V,
    number
  >;
}

function collectGarbage() {
  if (!gc) throw new Error('run node with --expose-gc');
  gc();
  gc();
}

export interface ConstructionFigures {
  nsPerObject: number;
  bytesPerObject: number;
}

/** Builds `count` objects, keeping them alive; returns ns and retained heap bytes per object. */
export function constructionRound(make: () => unknown, count = 50_000): ConstructionFigures {
  const keep: unknown[] = new Array(count).fill(0);
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) keep[i] = make();
  const elapsed = Number(process.hrtime.bigint() - started);
  collectGarbage();
  const bytes = (process.memoryUsage().heapUsed - heapBefore) / count;
  if (keep.length !== count) throw new Error('unreachable');
  return { nsPerObject: elapsed / count, bytesPerObject: bytes };
}

/**
 * Measures several factories round-robin (one round of each in turn), after a
 * warm-up of all of them, and returns the median figures of each.
 */
export function measureConstructions(
  makers: (() => unknown)[],
  rounds = 15,
): ConstructionFigures[] {
  for (const make of makers) for (let i = 0; i < 50_000; i++) make();
  const samples = makers.map(() => [] as ConstructionFigures[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, make] of makers.entries()) samples[i]?.push(constructionRound(make));
  }
  return samples.map((figures) => ({
    nsPerObject: median(figures.map((f) => f.nsPerObject)),
    bytesPerObject: median(figures.map((f) => f.bytesPerObject)),
  }));
}

export interface StreamFigures {
  cpuUsPerChunk: number;
  wallMs: number;
}

/** Process CPU time (user + system) spent consuming one stream, per chunk. */
export async function measureStream(
  consume: () => Promise<number>,
  expectedChunks: number,
): Promise<{ cpuUs: number; wallMs: number }> {
  // Collect the previous runner's garbage now, so it is not billed to this one.
  collectGarbage();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const deltas = await consume();
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  if (deltas < expectedChunks * 0.9)
    throw new Error(`saw ${deltas} deltas, expected about ${expectedChunks}`);
  return { cpuUs: (used.user + used.system) / expectedChunks, wallMs };
}
