// Whether this process is saturated, read from how late its event loop runs
// and how much of the time it is busy. A server whose CPU is spent keeps
// every stream going but starts new runs late: their requests wait behind
// the work of the running ones. The median delay over a short window tells a
// loop that is steadily behind from one long turn (a module compiled, a large
// answer parsed), which only moves the tail.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** How often the loop is sampled; also the floor of what can be seen. */
const resolutionMs = 10;

export interface EventLoopLoad {
  /** The loop's median delay over the last window is above the limit. */
  readonly saturated: boolean;
  /** That median delay, in milliseconds. */
  readonly delayMs: number;
  /** The most any tick of the loop was late in the last window, in milliseconds. */
  readonly longestDelayMs: number;
  /** The share of the last window the loop was busy, 0 to 1. */
  readonly utilization: number;
  /** How many windows have ended: a new figure is there when this changes. */
  readonly windows: number;
  stop(): void;
}

export function watchEventLoop(options: { maxDelayMs: number; windowMs?: number }): EventLoopLoad {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let delayMs = 0;
  let longestDelayMs = 0;
  let utilization = 0;
  let windows = 0;
  let lastUse = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    // Each sample is the whole interval between two ticks of the sampling timer.
    const late = (percentile: number) =>
      histogram.count > 0 ? Math.max(0, histogram.percentile(percentile) / 1e6 - resolutionMs) : 0;
    delayMs = late(50);
    longestDelayMs = late(100);
    histogram.reset();
    const use = performance.eventLoopUtilization();
    utilization = performance.eventLoopUtilization(use, lastUse).utilization;
    lastUse = use;
    windows++;
  }, options.windowMs ?? 250);
  timer.unref();
  return {
    get saturated() {
      return delayMs > options.maxDelayMs;
    },
    get delayMs() {
      return delayMs;
    },
    get longestDelayMs() {
      return longestDelayMs;
    },
    get utilization() {
      return utilization;
    },
    get windows() {
      return windows;
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
