// Counts what the server's limits cap: runs going (per user, in all, and
// against the admission limit learned from the process's load) and open
// subscriptions per user. A slot is taken synchronously, before any
// await, so a batch of calls (ten runs.start in one HTTP batch, fifty in one
// WebSocket message) cannot all pass the check before any of them counts.
import { AgentRpcError } from '@agentrpc/core';
import { createFeed, type Feed, pushTo, withoutStackTrace } from '@agentrpc/core/internal';
import type { Limits } from '../config/define-config.ts';
import { AdmissionLimit } from './admission-limit.ts';
import type { EventLoopLoad } from './event-loop-load.ts';

type Load = Pick<
  EventLoopLoad,
  'saturated' | 'delayMs' | 'longestDelayMs' | 'utilization' | 'windows'
>;

export type SlotLimits = Pick<
  Limits,
  'maxRunningRuns' | 'maxConcurrentRunsPerUser' | 'maxSubscriptionsPerUser'
> &
  Partial<Pick<Limits, 'admissionStart'>>;

/** Which limit refused a run, as agentrpc_runs_refused_total labels it. */
export type RunLimit = 'running_runs' | 'saturated' | 'admission' | 'user_runs';

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

function counter() {
  const counts = new Map<string, number>();
  return {
    get: (key: string) => counts.get(key) ?? 0,
    add(key: string, change: 1 | -1) {
      const count = (counts.get(key) ?? 0) + change;
      if (count > 0) counts.set(key, count);
      else counts.delete(key);
    },
  };
}

function once(release: () => void): Release {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

export class RunSlots {
  readonly #limits: SlotLimits;
  readonly #load: Load | undefined;
  readonly #admissionLimit: AdmissionLimit;
  /** The load window the admission limit last followed. */
  #followed = 0;
  readonly #onRefused: (limit: RunLimit) => void;
  readonly #runsByUser = counter();
  readonly #subscriptionsByUser = counter();
  #runs = 0;

  /**
   * With `load`, new runs are refused while it says the process is saturated,
   * and above an admission limit learned from it (admission-limit.ts).
   */
  constructor(
    limits: SlotLimits,
    watch: { load?: Load | undefined; onRefused?: (limit: RunLimit) => void } = {},
  ) {
    this.#limits = limits;
    this.#load = watch.load;
    this.#onRefused = watch.onRefused ?? (() => {});
    this.#admissionLimit = new AdmissionLimit({
      max: limits.maxRunningRuns,
      ...(limits.admissionStart === undefined ? {} : { initial: limits.admissionStart }),
    });
  }

  /** Runs the process takes at once for now; undefined without a load to learn it from. */
  get admissionLimit(): number | undefined {
    return this.#load ? this.#admissionLimit.value : undefined;
  }

  /** The refusal, counted; an answer, not a fault, so it has no stack trace. */
  #refuse(limit: RunLimit, message: string): AgentRpcError {
    this.#onRefused(limit);
    return withoutStackTrace(() => new AgentRpcError('RATE_LIMITED', message, { retryAfter: 1 }));
  }

  /** Runs going in this process. */
  get running(): number {
    return this.#runs;
  }

  runningFor(userId: string): number {
    return this.#runsByUser.get(userId);
  }

  /** Takes a run slot for `userId`, or throws RATE_LIMITED when either limit is reached. */
  reserveRun(userId: string): Release {
    const refusal = this.refusalForAnyone();
    if (refusal) throw refusal;
    const mine = this.#runsByUser.get(userId);
    if (mine >= this.#limits.maxConcurrentRunsPerUser) {
      throw this.#refuse(
        'user_runs',
        `you have ${mine} runs going; the limit is ${this.#limits.maxConcurrentRunsPerUser}`,
      );
    }
    this.#runs++;
    this.#runsByUser.add(userId, 1);
    return once(() => {
      this.#runs--;
      this.#runsByUser.add(userId, -1);
    });
  }

  /**
   * The refusal a new run would get now whoever asked (the process's limits,
   * not a user's), counted as reserveRun counts it; undefined when one may start.
   */
  refusalForAnyone(): AgentRpcError | undefined {
    if (this.#runs >= this.#limits.maxRunningRuns) {
      return this.#refuse(
        'running_runs',
        `the server runs ${this.#runs} runs, its limit; retry shortly`,
      );
    }
    return this.#load ? this.#admission(this.#load) : undefined;
  }

  /** The refusal while the process is saturated or at its admission limit. */
  #admission(load: Load): AgentRpcError | undefined {
    if (load.windows !== this.#followed) {
      this.#followed = load.windows;
      const { saturated, utilization, longestDelayMs } = load;
      this.#admissionLimit.adjust({ running: this.#runs, utilization, saturated, longestDelayMs });
    }
    if (load.saturated) {
      return this.#refuse(
        'saturated',
        `the server is saturated (its event loop runs ${Math.round(load.delayMs)} ms late); retry shortly`,
      );
    }
    if (this.#runs >= this.#admissionLimit.value) {
      return this.#refuse(
        'admission',
        `the server takes ${this.#admissionLimit.value} runs at once for now (its event loop is busy ${Math.round(load.utilization * 100)} % of the time); retry shortly`,
      );
    }
    return undefined;
  }

  /** Takes a subscription slot for `userId`, or throws RATE_LIMITED at the limit. */
  reserveSubscription(userId: string): Release {
    const open = this.#subscriptionsByUser.get(userId);
    if (open >= this.#limits.maxSubscriptionsPerUser) {
      throw new AgentRpcError(
        'RATE_LIMITED',
        `you have ${open} subscriptions open; the limit is ${this.#limits.maxSubscriptionsPerUser}`,
        { retryAfter: 1 },
      );
    }
    this.#subscriptionsByUser.add(userId, 1);
    return once(() => this.#subscriptionsByUser.add(userId, -1));
  }
}

/** The feed, giving its subscription slot back when it ends, fails or is stopped. */
export function releasedAtEnd<T>(feed: Feed<T>, release: Release): Feed<T> {
  return createFeed((sink) => {
    const control = feed[pushTo]({
      value: (value) => sink.value(value),
      end: () => {
        release();
        sink.end();
      },
      fail: (error) => {
        release();
        sink.fail(error);
      },
    });
    return {
      resume: () => control.resume(),
      stop: () => {
        release();
        control.stop();
      },
    };
  });
}
