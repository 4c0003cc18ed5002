// Runs agents independently of whoever watches them. Each run's events go to
// a live hub in this process and, in batches, to the store's event log, so a
// reader can replay a run from any instance and then follow it live.
import {
  type AgentRpcError,
  type ContinueInput,
  AgentRpcError as RpcError,
  type RunEvent,
  type RunEventStream,
  type RunInput,
  type RunKey,
  type RunOptions,
  type Store,
} from '@agentrpc/core';
import type { Feed } from '@agentrpc/core/internal';
import type { Principal } from '../auth/principal.ts';
import type { Limits } from '../config/define-config.ts';
import type { Logger } from '../observe/logger.ts';
import type { ServerMetrics } from '../observe/metrics.ts';
import type { Peers } from '../peer/peers.ts';
import type { AgentRegistry } from './agent-registry.ts';
import { cancelStoredRun } from './cancel-run.ts';
import { CancelWatch } from './cancel-watch.ts';
import { EventLog } from './event-log.ts';
import type { EventLoopLoad } from './event-loop-load.ts';
import { followRun, pollMs } from './follow-run.ts';
import { type LiveRun, LiveRuns } from './live-runs.ts';
import { LogPoller } from './log-poller.ts';
import { launchRun, type PumpServices } from './pump-run.ts';
import { type Release, RunSlots, releasedAtEnd, type SlotLimits } from './run-slots.ts';
import { sleep } from './wait.ts';

export interface StartRun {
  agentId: string;
  input: RunInput;
  options: Omit<RunOptions, 'userId' | 'signal'>;
}

/** The options every run of this process is opened with. */
interface RunOptionsHere {
  userId: string;
  signal: AbortSignal;
  holder: string;
  servedBy?: string;
}

/** Stored events a run's hub still holds for readers on other instances (config `peers`). */
const peerWindow = 512;

/** How often a live run checks the store for a cancel that reached another instance. */
const cancelPollMs = 1_000;

export interface RunManagerOptions {
  store: Store;
  agents: AgentRegistry;
  logger: Logger;
  metrics: ServerMetrics;
  limits: SlotLimits & Pick<Limits, 'runTimeoutMs'>;
  /** This process's identity, in whose name runs hold their session leases. */
  instanceId: string;
  /** How busy the process is; new runs are refused while it is saturated. */
  load?: EventLoopLoad;
  /** Other instances on the store that stream runs to each other (config `peers`). */
  peers?: Peers | undefined;
}

export class RunManager {
  readonly #options: RunManagerOptions;
  /** Runs live in this process (or just ended). */
  readonly #live = new LiveRuns();
  readonly #slots: RunSlots;
  /** Reads the log of every run followed here while it runs elsewhere, in one store call per interval. */
  readonly #poller: LogPoller;
  /** Reads the records of every run live here for cancel requests from other instances, likewise. */
  readonly #cancelWatch: CancelWatch;
  /** What pumping a run needs of this process, for every run. */
  readonly #pumpServices: PumpServices;

  constructor(options: RunManagerOptions) {
    this.#options = options;
    const { store, logger, metrics, peers } = options;
    this.#slots = new RunSlots(options.limits, {
      load: options.load,
      onRefused: (limit) => metrics.runsRefused.inc({ limit }),
    });
    metrics.followAdmission(() => this.#slots.admissionLimit);
    const onError = (error: unknown) => logger.error({ err: error }, 'run bookkeeping failed');
    // Every run's events on their way to the store, written in batches across runs.
    const eventLog = new EventLog({
      store,
      onError,
      // What the log holds, a live run need not: readers behind it read the log.
      // With peers, readers on other instances start from the run's first
      // event: a window of the latest spares them the log (and its latency).
      onStored: (key, throughSeq) =>
        this.#live.hubOf(key)?.trimThrough(throughSeq, peers ? peerWindow : 0),
      // Its session was deleted: stop it now rather than at the next cancel check.
      onGone: (key) => {
        const run = this.#live.get(key);
        if (!run || run.hub.done || run.controller.signal.aborted) return;
        logger.info(key, "run's session was deleted; stopping the run");
        run.controller.abort();
      },
    });
    this.#poller = new LogPoller({ store, pollMs });
    this.#cancelWatch = new CancelWatch({ store, intervalMs: cancelPollMs, onError });
    this.#pumpServices = {
      live: this.#live,
      eventLog,
      cancelWatch: this.#cancelWatch,
      logger,
      metrics,
      runTimeoutMs: options.limits.runTimeoutMs,
      onError,
    };
  }

  /** Whether the run is going in this process. */
  isLive(key: RunKey): boolean {
    return this.#live.isLive(key);
  }

  /** Runs going in this process. */
  get activeCount(): number {
    return this.#slots.running;
  }

  /** The runs going in this process now, oldest first. */
  liveRuns(): LiveRun[] {
    return this.#live.list();
  }

  activeCountFor(userId: string): number {
    return this.#slots.runningFor(userId);
  }

  #closing = false;

  /** Refuses new runs from now on (shutdown); running ones go on. */
  stopAccepting(): void {
    this.#closing = true;
  }

  /** Stops watching the process's load; for after the last run has ended. */
  close(): void {
    this.#options.load?.stop();
    this.#cancelWatch.stop();
  }

  /**
   * The refusal a new run gets now from the process's own limits (saturated,
   * admission, running runs), asked before its procedure (early-refusals.ts).
   * With `repeats`, the run the request names: when it is going here, or just
   * ended, the request follows it and is not refused.
   */
  refusalOfNewRun(repeats?: RunKey): AgentRpcError | undefined {
    if (this.#closing || (repeats && this.#live.get(repeats))) return undefined;
    return this.#slots.refusalForAnyone();
  }

  /** Takes a run slot for the user before anything else happens, or throws why not. */
  #reserve(userId: string): Release {
    if (this.#closing) {
      throw new RpcError('SHUTDOWN', 'the server is shutting down; retry on another instance');
    }
    return this.#slots.reserveRun(userId);
  }

  /** Starts a run and resolves once it has started (after its run.started event). */
  async start(
    principal: Principal,
    start: StartRun,
  ): Promise<{ runId: string; sessionId: string }> {
    const first = await this.#run(principal, (options) =>
      this.#options.agents.get(start.agentId).stream(start.input, { ...start.options, ...options }),
    );
    if (first.type !== 'run.started')
      throw new RpcError('INTERNAL', `run began with ${first.type}`);
    return { runId: first.runId, sessionId: first.sessionId };
  }

  /** Resumes a paused run; resolves once it has continued. */
  async continue(
    principal: Principal,
    run: { agentId: string; runId: string; decisions: ContinueInput },
  ): Promise<void> {
    await this.#run(principal, (options) =>
      this.#options.agents.get(run.agentId).continueStream(run.runId, run.decisions, options),
    );
  }

  /**
   * Takes a run slot, opens the run's events with the options every run of
   * this process gets, and launches it; the slot goes back if it cannot start.
   */
  async #run(
    principal: Principal,
    open: (options: RunOptionsHere) => RunEventStream,
  ): Promise<RunEvent> {
    const release = this.#reserve(principal.userId);
    const controller = new AbortController();
    const userId = principal.userId;
    const servedBy = this.#options.peers?.url;
    let events: RunEventStream;
    try {
      events = open({
        userId,
        signal: controller.signal,
        holder: this.#options.instanceId,
        ...(servedBy ? { servedBy } : {}),
      });
    } catch (error) {
      release();
      throw error;
    }
    return launchRun(this.#pumpServices, { events, controller, userId, release });
  }

  /**
   * Cancels a run of this user: at once when it is live here or paused; when
   * it runs on another instance, that instance sees the request in the store
   * within cancelPollMs and cancels it.
   */
  async cancel(principal: Principal, runId: string): Promise<{ status: string }> {
    const key = { userId: principal.userId, runId };
    const record = await this.#options.store.getRun(key);
    if (!record) throw new RpcError('NOT_FOUND', `run ${runId} not found`);
    const active = this.#live.get(key);
    if (active && !active.hub.done) {
      active.controller.abort();
      return { status: 'cancelling' };
    }
    return cancelStoredRun(this.#options.store, key, record);
  }

  /**
   * Takes a subscription slot for the user (RATE_LIMITED past the limit). A
   * subscription that starts a run takes it first, so a refused one starts nothing.
   */
  reserveSubscription(userId: string): Release {
    return this.#slots.reserveSubscription(userId);
  }

  /**
   * Once the run is known to be this user's (else NOT_FOUND): every event of
   * the run after `afterSeq`, then live ones, ending after the terminal event.
   * Replays from the store, follows the live hub when the run is here, and
   * polls the store when it runs elsewhere. Holds a subscription slot (`slot`,
   * or one it takes) until the feed ends or `signal` aborts.
   */
  async events(request: {
    userId: string;
    runId: string;
    afterSeq: number;
    signal?: AbortSignal | undefined;
    slot?: Release;
  }): Promise<Feed<RunEvent>> {
    const { userId, runId, afterSeq, signal } = request;
    const release = request.slot ?? this.#slots.reserveSubscription(userId);
    signal?.addEventListener('abort', release, { once: true });
    try {
      // A run live here for this user is known to be theirs without asking the store.
      const ownedHere = this.#live.get({ userId, runId }) !== undefined;
      const record = ownedHere
        ? undefined
        : await this.#options.store.getRun({ userId, runId }, { following: true });
      if (!ownedHere && !record) throw new RpcError('NOT_FOUND', `run ${runId} not found`);
      const relay = record && this.#options.peers?.relayFor(record);
      const hubOf = () => this.#live.hubOf({ userId, runId });
      const feed = await followRun({
        store: this.#options.store,
        hubOf,
        userId,
        runId,
        afterSeq,
        readers: this.#options.metrics.subscriptions,
        poller: this.#poller,
        ...(signal ? { signal } : {}),
        ...(relay ? { relay } : {}),
      });
      return releasedAtEnd(feed, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * For another instance's reader (peer/peer-endpoint.ts): the run's events
   * after `afterSeq` while it is live here, else undefined. No subscription
   * slot: the reader holds one on its own instance.
   */
  liveEvents(
    request: RunKey & { afterSeq: number; signal: AbortSignal },
  ): Feed<RunEvent> | undefined {
    const { userId, runId, afterSeq, signal } = request;
    const hubOf = () => this.#live.hubOf({ userId, runId });
    if (hubOf()?.done !== false) return undefined;
    return followRun({
      store: this.#options.store,
      hubOf,
      userId,
      runId,
      afterSeq,
      signal,
      poller: this.#poller,
    });
  }

  /** Stops every live run with `reason` (they end as errors with its code). */
  abortAll(reason: AgentRpcError): void {
    this.#live.abortAll(reason);
  }

  /** Waits for every live run to end, up to `timeoutMs`; returns how many are left. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.activeCount > 0 && Date.now() < deadline) await sleep(20);
    return this.activeCount;
  }
}
