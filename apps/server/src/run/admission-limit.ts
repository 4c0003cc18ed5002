// How many runs this process takes at once, learned from its load. A gate
// that only refuses while the loop is already late lets a burst in before the
// load shows (a run costs little until its first chunks arrive), and the runs
// let in then wait for their first token while every stream slows. So the
// limit starts low and grows only while the loop has time to spare and the
// limit is what holds runs back; when the loop runs late, or stays busy
// nearly all the time while the runs fill the limit, it drops to a little
// under the runs going, so new runs wait for some to end.
//
// How busy the loop is is read over about a second, not one window: under
// load that never lets up, single quiet windows came often enough to grow the
// limit to twice what one core carried with first tokens on time. And busy is
// not enough: with hundreds of streams a loop 50-65 % busy already had turns
// of 20-50 ms, which a new run waits through several times (its request, its
// provider's answer, its first chunk) where a running stream waits once. So
// the limit grows only while no tick of the loop was more than 20 ms late in
// the window, and drops when one was more than 40 ms late with the limit full
// (docs/performance-notes.md, "Overload that lasts", "The loop's longest
// tick").
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
const growth = 0.25;
const growBelow = 0.6;
/** Shrinks to this share of the runs going while the loop runs late, or, with the limit full, has a tick later than lateAboveMs or is busy more than shrinkAbove of the time. */
const shrinkTo = 0.9;
const shrinkAbove = 0.85;
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
    const calm = busy < growBelow && window.longestDelayMs <= calmBelowMs;
    if (overloaded) {
      const under = Math.floor(window.running * shrinkTo);
      this.#value = Math.max(this.#floor, Math.min(this.#value, under));
    } else if (calm && window.running >= Math.floor(this.#value * bindingShare)) {
      this.#value = Math.min(this.#max, Math.ceil(this.#value * (1 + growth)));
    }
  }
}
