// How many runs this process takes at once, learned from its load. A gate
// that only refuses while the loop is already late lets a burst in before the
// load shows (a run costs little until its first chunks arrive), and the runs
// let in then wait for their first token while every stream slows. So the
// limit starts low and grows only while the loop has time to spare and the
// limit is what holds runs back; when the loop runs late it drops to a little
// under the runs going, so new runs wait for some to end.
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
}

/** Grows by this share per window, while the loop is busy less than growBelow of the time. */
const growth = 0.25;
const growBelow = 0.75;
/** Shrinks to this share of the runs going while the loop runs late. */
const shrinkTo = 0.9;
/** The limit counts as holding runs back when this share of it is taken. */
const bindingShare = 0.9;

export class AdmissionLimit {
  readonly #max: number;
  readonly #floor: number;
  #value: number;

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
    if (window.saturated) {
      const under = Math.floor(window.running * shrinkTo);
      this.#value = Math.max(this.#floor, Math.min(this.#value, under));
    } else if (
      window.utilization < growBelow &&
      window.running >= Math.floor(this.#value * bindingShare)
    ) {
      this.#value = Math.min(this.#max, Math.ceil(this.#value * (1 + growth)));
    }
  }
}
