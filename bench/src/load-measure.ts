// What the load benchmark measures of a path, whichever it is: streams started
// over the ramp, when each chunk arrives against the upstream's schedule, and
// one table row per path and size; plus a child process's CPU time and peak RSS
// (process-cpu.ts).
import { type GapPhase, gapsByPhase, type StreamSpan, type TimedGap } from './gap-phases.ts';
import { peakRssMiB, type ThreadGroup, threadGroups, watchCpu } from './process-cpu.ts';
import { ShedError } from './raw-clients.ts';

export const chunks = Number(process.env.CHUNKS ?? 200);
export const gapMs = Number(process.env.GAP_MS ?? 50);
/** Streams start spread over this long, as users arrive, rather than in one instant. */
export const rampMs = Number(process.env.RAMP_MS ?? 2000);
/** The servers' Retry-After on a refused run: when a shed stream that retries asks again. */
const retryAfterMs = 1000;

/** How the streams of a measure arrive. */
export interface Arrivals {
  /** Streams start spread over this long. */
  rampMs: number;
  /**
   * A stream the server sheds asks again after its Retry-After (give or take
   * a tenth), until this long after the first stream started; 0: never. Users
   * who keep coming back keep a server saturated.
   */
  retryShedForMs: number;
}

/** Streams starting over rampMs, a shed one not asked for again. */
export const rampedArrivals: Arrivals = { rampMs, retryShedForMs: 0 };

/** A row's words for arrivals whose shed streams ask again; nothing for others. */
export function retriedWords(arrivals: Arrivals | undefined): string {
  if (!arrivals?.retryShedForMs) return '';
  const seconds = (ms: number) => `${ms / 1000} s`;
  return `, arriving over ${seconds(arrivals.rampMs)}, shed ones retrying for ${seconds(arrivals.retryShedForMs)}`;
}
/** Short unpaced streams each path serves first, not counted, so its code is compiled as in service. */
export const warmUpRuns = Number(process.env.WARM_UP_RUNS ?? 1000);

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** What the process in the middle (server or proxy) cost. */
export interface MiddleFigures {
  rssMiB: number;
  cpuPerChunkUs: number;
  /** Of cpuPerChunkUs, the system time: the kernel's work for the process. */
  systemPerChunkUs: number;
  /** The same CPU split by thread group (process-cpu.ts). */
  cpuPerChunkByThreadUs: Record<ThreadGroup, number>;
  /** Of the event loop's, the system time. */
  eventLoopSystemPerChunkUs: number;
}

/** Starts counting a process's CPU time; the returned function gives its figures for `chunkCount` chunks. */
export function watchProcess(pid: number): (chunkCount: number) => MiddleFigures {
  const used = watchCpu(pid);
  return (chunkCount) => {
    const { total, system, byGroup, eventLoopSystem } = used();
    const perChunk = (seconds: number) => (seconds * 1e6) / Math.max(1, chunkCount);
    const byThread = Object.fromEntries(
      threadGroups.map((group) => [group, perChunk(byGroup[group])]),
    ) as Record<ThreadGroup, number>;
    return {
      rssMiB: peakRssMiB(pid),
      cpuPerChunkUs: perChunk(total),
      systemPerChunkUs: perChunk(system),
      cpuPerChunkByThreadUs: byThread,
      eventLoopSystemPerChunkUs: perChunk(eventLoopSystem),
    };
  };
}

/**
 * Streams stream `i`, calling `onDelta` with each content delta as it arrives
 * and, on an agentrpc server, `onStarted` at the run's `run.started` event;
 * settles at the end.
 */
export type StreamOne = (
  i: number,
  onDelta: (delta: string) => void,
  onStarted?: () => void,
) => Promise<void>;

export interface LoadFigures {
  peakLive: number;
  completed: number;
  /** Streams the server refused to start for now (429, to be retried). */
  shed: number;
  errors: number;
  /** What the client saw of each error, and how many streams saw it. */
  errorReasons: Record<string, number>;
  /** Per chunk: how much later than the upstream's pacing it arrived. */
  lateness: number[];
  /** Per chunk after the first: how much longer its gap to the previous one was than the pacing. */
  addedGaps: number[];
  /** The same gaps by when they came: while streams started, all ran, or ended (gap-phases.ts). */
  gapPhases: Record<GapPhase, number[]>;
  /** Per stream: from asking for it to its first delta (ms). */
  ttfts: number[];
  /** Of ttfts, the streams asked for once the server had refused one: new runs while it is saturated. */
  saturatedTtfts: number[];
  /**
   * Per stream of an agentrpc server: from asking for it to its run.started
   * event (ms). The server sends that event once it has asked the provider, so
   * this is the time to first token until the provider is asked: the request's
   * way to the server, and the run's start there.
   */
  runStarts: number[];
  wallS: number;
}

/** Counts a failed stream under what it failed with (a message cut to one short line). */
function countError(figures: LoadFigures, reason: string): void {
  figures.errors++;
  const key = reason.replace(/\s+/g, ' ').slice(0, 160);
  figures.errorReasons[key] = (figures.errorReasons[key] ?? 0) + 1;
}

/** Runs `streams` streams, started as `arrivals` says, and collects when each chunk arrived. */
export async function collect(
  streams: number,
  streamOne: StreamOne,
  arrivals: Arrivals = rampedArrivals,
): Promise<LoadFigures> {
  const figures: LoadFigures = {
    peakLive: 0,
    completed: 0,
    shed: 0,
    errors: 0,
    errorReasons: {},
    lateness: [],
    addedGaps: [],
    gapPhases: { starting: [], steady: [], ending: [] },
    ttfts: [],
    saturatedTtfts: [],
    runStarts: [],
    wallS: 0,
  };
  let live = 0;
  let firstShedAt: number | undefined;
  const timedGaps: TimedGap[] = [];
  const spans: StreamSpan[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i / streams) * arrivals.rampMs));
      live++;
      figures.peakLive = Math.max(figures.peakLive, live);
      try {
        /** Arrival time minus due time (k × pacing) of each chunk k. */
        const offsets: number[] = [];
        let asked = performance.now();
        const streamOnce = () =>
          streamOne(
            i,
            (delta) => {
              const now = performance.now();
              if (offsets.length === 0) {
                figures.ttfts.push(now - asked);
                if (firstShedAt !== undefined && asked > firstShedAt) {
                  figures.saturatedTtfts.push(now - asked);
                }
              }
              // A merged delta carries several chunks, each as late as the delta itself.
              const carried = Math.max(1, Math.round(delta.length / 4));
              for (let c = 0; c < carried; c++) offsets.push(now - offsets.length * gapMs);
            },
            () => figures.runStarts.push(performance.now() - asked),
          );
        for (;;) {
          try {
            await streamOnce();
            break;
          } catch (error) {
            if (!(error instanceof ShedError)) throw error;
            firstShedAt ??= performance.now();
            const retryAt = performance.now() + retryAfterMs * (0.9 + Math.random() * 0.2);
            if (retryAt - started > arrivals.retryShedForMs) throw error;
            live--;
            await new Promise((resolve) => setTimeout(resolve, retryAt - performance.now()));
            live++;
            asked = performance.now();
          }
        }
        // The stream's quickest chunk sets its path latency; the rest count by how much later they were.
        const base = Math.min(...offsets);
        for (const [k, offset] of offsets.entries()) {
          figures.lateness.push(offset - base);
          if (k === 0) continue;
          const gap = offset - (offsets[k - 1] ?? offset);
          figures.addedGaps.push(gap);
          timedGaps.push({ at: offset + k * gapMs - started, gap });
        }
        if (offsets.length === chunks) {
          figures.completed++;
          spans.push({
            firstAt: (offsets[0] ?? 0) - started,
            lastAt: (offsets.at(-1) ?? 0) + (chunks - 1) * gapMs - started,
          });
        } else countError(figures, `ended after ${offsets.length} of ${chunks} chunks`);
      } catch (error) {
        if (error instanceof ShedError) figures.shed++;
        else countError(figures, error instanceof Error ? error.message : String(error));
      } finally {
        live--;
      }
    }),
  );
  figures.wallS = (performance.now() - started) / 1000;
  figures.gapPhases = gapsByPhase(timedGaps, spans);
  return figures;
}

/** One path measured at one size. */
export interface Measured {
  path: string;
  streams: number;
  figures: LoadFigures;
  /** The process in the middle, where there is one. */
  middle?: MiddleFigures;
  /** Overload rows: the streams at once past which it refused new ones. */
  refusedAbove?: number;
  /** Shed streams asked again (Arrivals.retryShedForMs): first tokens read from saturatedTtfts. */
  retried?: boolean;
}

/** The row of the results table. */
export function row({ path, streams, figures, middle }: Measured): string {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(1);
  const { lateness, addedGaps, ttfts } = figures;
  return `| ${path} | ${streams} | ${figures.peakLive} | ${figures.completed} | ${figures.shed} | ${figures.errors} | ${ms(ttfts, 50)} | ${ms(ttfts, 99)} | ${ms(lateness, 50)} | ${ms(lateness, 99)} | ${ms(addedGaps, 50)} | ${ms(addedGaps, 99)} | ${middle ? middle.rssMiB.toFixed(0) : '–'} | ${middle ? middle.cpuPerChunkUs.toFixed(1) : '–'} | ${figures.wallS.toFixed(1)} |`;
}
