// Measurement helpers: construction time and retained heap per object, and
// client CPU time per streamed chunk. Each figure is the median of several rounds.
const gc = (globalThis as { gc?: () => void }).gc;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
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

/** Builds `count` objects per round, keeping them alive, and reports ns and retained bytes per object. */
export function measureConstruction(
  make: () => unknown,
  count = 50_000,
  rounds = 7,
): ConstructionFigures {
  for (let i = 0; i < 20_000; i++) make();
  const ns: number[] = [];
  const bytes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const keep: unknown[] = new Array(count).fill(0);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) keep[i] = make();
    const elapsed = Number(process.hrtime.bigint() - started);
    collectGarbage();
    bytes.push((process.memoryUsage().heapUsed - heapBefore) / count);
    ns.push(elapsed / count);
    if (keep.length !== count) throw new Error('unreachable');
  }
  return { nsPerObject: median(ns), bytesPerObject: median(bytes) };
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
