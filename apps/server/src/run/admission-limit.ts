// How many runs this process takes at once, learned from its load. A gate
// that only refuses while the loop is already late lets a burst in before the
// load shows (a run costs little until its first chunks arrive), and the runs
// let in then wait for their first token while every stream slows. So the
// limit starts low and grows only while the loop has time to spare and the
// limit is what holds runs back; when the loop runs late, or stays busy
// while the runs fill the limit, it drops to a little under the runs going,
// so new runs wait for some to end.
//
// It aims at a loop well short of full. A new run waits for several turns of
// the loop (its request, its record, its provider's answer, its first chunk)
// where a running stream waits for one, so its first token comes late long
// before the streams do: on one core, with the loop 60-85 % busy, the limit
// held 320-570 runs and new runs came 70-100 ms late at p99, where below
// 40 % it held 150-320 and they came 14-43 ms late, the streams' gaps a
// third of what they were. How busy the loop is is read over about a second
// (single quiet windows came often enough to grow it too far) and in the
// newest window, and the limit grows by a tenth at most every other window:
// the runs one step lets in show their load about a window later, and faster
// steps overshot through a ramp of arrivals. It also grows only while no tick
// of the loop was more than 20 ms late, and drops when one was more than 40 ms
// late with the limit full (docs/performance-notes.md, "Overload that lasts",
// "The loop's longest tick", "A calmer admission limit").
export interface AdmissionLimitOptions {
  /** Never above this (limits.maxRunningRuns). */
  max: number;
  /** Where it starts (default 64, or max when lower). */
  initial?: number;
  /** Never below this (default half of initial, or max when lower). */
  floor?: number;
}

/** What one window of the event loop says. */
export interface LoadWindow {
  /** Runs going at the end of the window. */
  running: number;
  /** Share of the window the loop was busy, 0 to 1. */
  utilization: number;
  /** The loop ran late past the configured limit. */
  saturated: boolean;
  /** The most any tick of the loop was late in the window, in milliseconds. */
  longestDelayMs: number;
}

/** Grows by this share per window, while the loop is busy less than growBelow of the time. */
const growth = 0.1;
const growBelow = 0.4;
/** Windows after a growth before the next may come: the runs it let in show their load about a window later. */
const settleWindows = 1;
/** Shrinks to this share of the runs going while the loop runs late, or, with the limit full, has a tick later than lateAboveMs or is busy more than shrinkAbove of the time. */
const shrinkTo = 0.9;
const shrinkAbove = 0.6;
/** Grows only while no tick was later than this; drops past lateAboveMs with the limit full. */
const calmBelowMs = 20;
const lateAboveMs = 40;
/** Weight of the newest window in how busy the loop reads: with 250 ms windows, about a second's memory. */
const newestWeight = 0.3;
/** The limit counts as holding runs back when this share of it is taken. */
const bindingShare = 0.9;

export class AdmissionLimit {
  readonly #max: number;
  readonly #floor: number;
  #value: number;
  /** How busy the loop has been of late, 0 to 1 (undefined before the first window). */
  #busy: number | undefined;
  #windowsSinceGrowth = Number.POSITIVE_INFINITY;

  constructor(options: AdmissionLimitOptions) {
    this.#max = options.max;
    const initial = options.initial ?? 64;
    this.#floor = Math.min(options.floor ?? Math.ceil(initial / 2), options.max);
    this.#value = Math.min(initial, options.max);
  }

  /** Runs the process takes at once, for now. */
  get value(): number {
    return this.#value;
  }

  /** Moves the limit after a window of the loop. */
  adjust(window: LoadWindow): void {
    const before = this.#busy ?? window.utilization;
    const busy = before + newestWeight * (window.utilization - before);
    this.#busy = busy;
    // Busy alone says the runs are too many only while they fill the limit: a
    // loop busy with a start, or with one burst still coming in, must not take
    // a fresh server below what it promised to take at once.
    const full = window.running >= this.#value;
    const overloaded =
      window.saturated || (full && (window.longestDelayMs > lateAboveMs || busy > shrinkAbove));
    this.#windowsSinceGrowth++;
    const calm =
      busy < growBelow &&
      window.utilization < growBelow &&
      window.longestDelayMs <= calmBelowMs &&
      this.#windowsSinceGrowth > settleWindows;
    if (overloaded) {
      const under = Math.floor(window.running * shrinkTo);
      this.#value = Math.max(this.#floor, Math.min(this.#value, under));
    } else if (calm && window.running >= Math.floor(this.#value * bindingShare)) {
      this.#value = Math.min(this.#max, Math.ceil(this.#value * (1 + growth)));
      this.#windowsSinceGrowth = 0;
    }
  }
}
