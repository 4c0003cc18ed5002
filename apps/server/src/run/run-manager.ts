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
import { consumeFeed, type Feed } from '@agentrpc/core/internal';
import type { Principal } from '../auth/principal.ts';
import type { Limits } from '../config/define-config.ts';
import type { Logger } from '../observe/logger.ts';
import type { ServerMetrics } from '../observe/metrics.ts';
import type { AgentRegistry } from './agent-registry.ts';
import { CancelWatch } from './cancel-watch.ts';
import { EventLog } from './event-log.ts';
import type { EventLoopLoad } from './event-loop-load.ts';
import { followRun, pollMs } from './follow-run.ts';
import { LogPoller } from './log-poller.ts';
import { errorIdOf } from './public-errors.ts';
import { endOrphanedRun } from './recover-runs.ts';
import { RunHub } from './run-hub.ts';
import { type Release, RunSlots, releasedAtEnd, type SlotLimits } from './run-slots.ts';
import { sleep } from './wait.ts';

export interface StartRun {
  agentId: string;
  input: RunInput;
  options: Omit<RunOptions, 'userId' | 'signal'>;
}

interface ActiveRun {
  hub: RunHub;
  controller: AbortController;
  userId: string;
  runId: string;
  agentId: string;
  sessionId: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

/** A run going in this process, as an admin sees it. */
export interface LiveRun {
  runId: string;
  userId: string;
  agentId: string;
  sessionId: string;
  startedAt: number;
}

/** The #active key of a user's run. */
const activeKey = (key: RunKey) => `${key.userId}\u0000${key.runId}`;

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deltas closer together than this are merged when the reader lags (see the pump). */
const fastDeltaMs = 1;

/** How long a finished run's hub stays in memory for late readers. */
const hubGraceMs = 30_000;

/** Longest a run's end waits for its event log to be stored before readers hear it. */
const endWaitMs = 2_000;

/** How often a live run checks the store for a cancel that reached another instance. */
const cancelPollMs = 1_000;

export class RunManager {
  /** Runs live in this process (or just ended), by activeKey: run ids are per user. */
  readonly #active = new Map<string, ActiveRun>();
  readonly #store: Store;
  readonly #agents: AgentRegistry;
  readonly #onError: (error: unknown) => void;
  /** Every run's events on their way to the store, written in batches across runs. */
  readonly #eventLog: EventLog;
  /** Reads the log of every run followed here while it runs elsewhere, in one store call per interval. */
  readonly #poller: LogPoller;
  /** Reads the records of every run live here for cancel requests from other instances, likewise. */
  readonly #cancelWatch: CancelWatch;

  readonly #logger: Logger;

  readonly #metrics: ServerMetrics;

  readonly #limits: Pick<Limits, 'runTimeoutMs'>;

  readonly #slots: RunSlots;

  readonly #load: EventLoopLoad | undefined;

  readonly #instanceId: string;

  constructor(options: {
    store: Store;
    agents: AgentRegistry;
    logger: Logger;
    metrics: ServerMetrics;
    limits: SlotLimits & Pick<Limits, 'runTimeoutMs'>;
    /** This process's identity, in whose name runs hold their session leases. */
    instanceId: string;
    /** How busy the process is; new runs are refused while it is saturated. */
    load?: EventLoopLoad;
  }) {
    this.#instanceId = options.instanceId;
    this.#limits = options.limits;
    this.#slots = new RunSlots(options.limits, options.load);
    this.#load = options.load;
    this.#store = options.store;
    this.#agents = options.agents;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#onError = (error) => this.#logger.error({ err: error }, 'run bookkeeping failed');
    this.#eventLog = new EventLog({
      store: this.#store,
      onError: this.#onError,
      // What the log holds, a live run need not: readers behind it read the log.
      onStored: (key, throughSeq) => this.#active.get(activeKey(key))?.hub.trimThrough(throughSeq),
    });
    this.#poller = new LogPoller({ store: this.#store, pollMs });
    this.#cancelWatch = new CancelWatch({
      store: this.#store,
      intervalMs: cancelPollMs,
      onError: this.#onError,
    });
  }

  /** Whether the run is going in this process. */
  isLive(key: RunKey): boolean {
    const active = this.#active.get(activeKey(key));
    return active !== undefined && !active.hub.done;
  }

  /** Runs going in this process. */
  get activeCount(): number {
    return this.#slots.running;
  }

  /** The runs going in this process now, oldest first. */
  liveRuns(): LiveRun[] {
    const live: LiveRun[] = [];
    for (const run of this.#active.values()) {
      if (run.hub.done) continue;
      const { runId, userId, agentId, sessionId, startedAt } = run;
      live.push({ runId, userId, agentId, sessionId, startedAt });
    }
    return live;
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
    this.#load?.stop();
    this.#cancelWatch.stop();
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
      this.#agents.get(start.agentId).stream(start.input, { ...start.options, ...options }),
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
      this.#agents.get(run.agentId).continueStream(run.runId, run.decisions, options),
    );
  }

  /**
   * Takes a run slot, opens the run's events with the options every run of
   * this process gets, and launches it; the slot goes back if it cannot start.
   */
  async #run(
    principal: Principal,
    open: (options: { userId: string; signal: AbortSignal; holder: string }) => RunEventStream,
  ): Promise<RunEvent> {
    const release = this.#reserve(principal.userId);
    const controller = new AbortController();
    const userId = principal.userId;
    let events: RunEventStream;
    try {
      events = open({ userId, signal: controller.signal, holder: this.#instanceId });
    } catch (error) {
      release();
      throw error;
    }
    return this.#launch(events, { controller, userId, release });
  }

  /**
   * Cancels a run of this user: at once when it is live here or paused; when
   * it runs on another instance, that instance sees the request in the store
   * within cancelPollMs and cancels it.
   */
  async cancel(principal: Principal, runId: string): Promise<{ status: string }> {
    const record = await this.#store.getRun({ userId: principal.userId, runId });
    if (!record) throw new RpcError('NOT_FOUND', `run ${runId} not found`);
    const active = this.#active.get(activeKey({ userId: principal.userId, runId }));
    if (active && !active.hub.done) {
      active.controller.abort();
      return { status: 'cancelling' };
    }
    if (record.status === 'paused') {
      const output = { ...record, status: 'cancelled' as const, updatedAt: Date.now() };
      await this.#store.updateRun(
        { userId: principal.userId, runId },
        { status: 'cancelled', lastSeq: record.lastSeq + 1 },
      );
      const event: RunEvent = {
        type: 'run.cancelled',
        runId,
        seq: record.lastSeq + 1,
        createdAt: Date.now(),
        output,
      };
      await this.#store.appendEvents({ userId: principal.userId, runId }, [event]);
      return { status: 'cancelled' };
    }
    if (record.status === 'running' || record.status === 'pending') {
      // Nobody runs it (its process died): end it here and now.
      if (await endOrphanedRun(this.#store, { run: record, ending: 'cancelled' })) {
        return { status: 'cancelled' };
      }
      // Live on another instance: ask it through the store, where it looks every cancelPollMs.
      const marked = await this.#store.updateRun(
        { userId: principal.userId, runId },
        { cancelRequestedAt: Date.now() },
      );
      const live = marked.status === 'running' || marked.status === 'pending';
      return { status: live ? 'cancelling' : marked.status };
    }
    return { status: record.status };
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
      const ownedHere = this.#active.has(activeKey({ userId, runId }));
      if (!ownedHere && !(await this.#store.getRun({ userId, runId }))) {
        throw new RpcError('NOT_FOUND', `run ${runId} not found`);
      }
      const hubOf = () => {
        return this.#active.get(activeKey({ userId, runId }))?.hub;
      };
      const feed = await followRun({
        store: this.#store,
        hubOf,
        userId,
        runId,
        afterSeq,
        readers: this.#metrics.subscriptions,
        poller: this.#poller,
        ...(signal ? { signal } : {}),
      });
      return releasedAtEnd(feed, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Stops every live run with `reason` (they end as errors with its code). */
  abortAll(reason: AgentRpcError): void {
    for (const run of this.#active.values()) if (!run.hub.done) run.controller.abort(reason);
  }

  /** Waits for every live run to end, up to `timeoutMs`; returns how many are left. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.activeCount > 0 && Date.now() < deadline) await sleep(20);
    return this.activeCount;
  }

  /** Pumps a run's events into its hub and the store; resolves with the first event. */
  async #launch(
    events: RunEventStream,
    run: { controller: AbortController; userId: string; release: Release },
  ): Promise<RunEvent> {
    const { controller, userId, release } = run;
    let first: IteratorResult<RunEvent>;
    try {
      first = await events.next(); // throws for input that cannot start a run
    } catch (error) {
      release();
      throw error;
    }
    if (first.done) {
      release();
      throw new RpcError('INTERNAL', 'the run produced no events');
    }
    const runId = first.value.runId;
    const hub = new RunHub();
    const key = { userId, runId };
    const opening = first.value.type === 'run.started' ? first.value : undefined;
    this.#active.set(activeKey(key), {
      hub,
      controller,
      userId,
      runId,
      agentId: opening?.agentId ?? '',
      sessionId: opening?.sessionId ?? '',
      startedAt: Date.now(),
    });
    // A run gives its slot back when its hub is done: at its terminal event, or when it closes.
    const uncountIfDone = () => {
      if (hub.done) release();
    };
    const publish = (event: RunEvent) => {
      hub.push(event);
      uncountIfDone();
    };
    /**
     * Hands an event to the hub and the log. The end of a run (or of a stretch
     * of it, a pause) is published once the whole log is stored: a reader that
     * heard it, and a process that dies right after, then lose nothing. A store
     * that is failing does not hold the end back longer than endWaitMs.
     */
    let ending: Promise<void> | undefined;
    const accept = (event: RunEvent): true | Promise<void> => {
      const stored = this.#eventLog.add(key, event);
      if (!stored) {
        publish(event);
        return true;
      }
      ending = Promise.race([stored, sleep(endWaitMs)]).then(() => publish(event));
      return ending;
    };
    accept(first.value);
    const log = this.#logger.child({ runId, userId });
    const started = performance.now();
    this.#metrics.activeRuns.inc();
    const timeout = setTimeout(() => {
      const seconds = Math.round(this.#limits.runTimeoutMs / 1000);
      controller.abort(
        new RpcError(
          'RUN_TIMEOUT',
          `the run went on longer than the server's limit of ${seconds} s`,
        ),
      );
    }, this.#limits.runTimeoutMs);
    timeout.unref();
    const unwatchCancel = this.#cancelWatch.watch({ userId, runId }, () => {
      if (!hub.done) controller.abort();
    });
    if (first.value.type === 'run.started') {
      log.info({ agentId: first.value.agentId, sessionId: first.value.sessionId }, 'run started');
    } else {
      log.info({ event: first.value.type }, 'run resumed');
    }
    void (async () => {
      try {
        let lastDeltaAt = 0;
        // Events are pushed here as the run makes them, so one reaches the
        // subscribers' sockets in the same call that read it from the model.
        await consumeFeed(events, (event) => {
          const accepted = accept(event);
          if (accepted !== true) return accepted;
          if (event.type !== 'run.content' && event.type !== 'run.reasoning') return true;
          // When deltas come fast, let the model stream run ahead: deltas that
          // arrive meanwhile merge into one event, so the stream costs fewer
          // writes to subscribers. A paced stream has nothing to merge.
          const now = performance.now();
          const fast = now - lastDeltaAt < fastDeltaMs;
          lastDeltaAt = now;
          return fast ? yieldToIo() : true;
        });
      } catch (error) {
        this.#onError(error as AgentRpcError);
      } finally {
        await this.#eventLog.flush();
        // The feed can end before its last event is published (that waits for the
        // log); closing the hub first would end its readers without that event.
        await ending;
        hub.close();
        uncountIfDone();
        const last = hub.last;
        const output = last && 'output' in last ? last.output : undefined;
        clearTimeout(timeout);
        unwatchCancel();
        this.#metrics.activeRuns.dec();
        if (last && output) this.#metrics.runEnded(output.agentId, last);
        log[last?.type === 'run.error' ? 'warn' : 'info'](
          {
            status: output?.status ?? last?.type,
            // The whole story for the operator; the client sees it only by this id.
            ...(last?.type === 'run.error'
              ? { code: last.code, reason: last.message, errorId: errorIdOf(runId, last.seq) }
              : {}),
            durationMs: Math.round(performance.now() - started),
            totalTokens: output?.metrics.totalTokens,
          },
          'run ended',
        );
        setTimeout(() => {
          if (this.#active.get(activeKey(key))?.hub === hub) this.#active.delete(activeKey(key));
        }, hubGraceMs).unref();
      }
    })();
    return first.value;
  }
}
