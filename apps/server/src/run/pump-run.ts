// Drives a run that has started in this process to its end: it is listed
// among the live runs, each event goes to the run's hub (its live readers)
// and, in batches, to the store's event log; the end is published once the
// log holding it is stored. Also the run's timeout, its watch for cancels
// from other instances, its metrics and its log lines.
import { setImmediate as yieldToIo } from 'node:timers/promises';
import {
  type AgentRpcError,
  isTerminalEvent,
  AgentRpcError as RpcError,
  type RunEvent,
  type RunEventStream,
  type RunKey,
} from '@agentrpc/core';
import { consumeFeed } from '@agentrpc/core/internal';
import type { Logger } from '../observe/logger.ts';
import type { ServerMetrics } from '../observe/metrics.ts';
import type { CancelWatch } from './cancel-watch.ts';
import type { EventLog } from './event-log.ts';
import type { LiveRuns } from './live-runs.ts';
import { errorIdOf } from './public-errors.ts';
import { RunHub } from './run-hub.ts';
import type { Release } from './run-slots.ts';
import { sleep } from './wait.ts';

/** Deltas closer together than this are merged when the reader lags (see the pump). */
const fastDeltaMs = 1;

/** Longest a run's end waits for its event log to be stored before readers hear it. */
const endWaitMs = 2_000;

/** What every run of the process shares. */
export interface PumpServices {
  live: LiveRuns;
  eventLog: EventLog;
  cancelWatch: CancelWatch;
  logger: Logger;
  metrics: ServerMetrics;
  runTimeoutMs: number;
  onError: (error: unknown) => void;
}

export interface LaunchedRun {
  events: RunEventStream;
  controller: AbortController;
  userId: string;
  /** Gives the run's slot back; called once its hub is done, or at once if the run cannot start. */
  release: Release;
}

interface PumpedRun extends Omit<LaunchedRun, 'userId'> {
  /** The event the run opened with, already read from `events`. */
  first: RunEvent;
  hub: RunHub;
  key: RunKey;
}

/**
 * Reads the run's first event (a failure there, such as input that cannot
 * start a run, is thrown), lists the run as live here and pumps the rest in
 * the background. Resolves with the first event.
 */
export async function launchRun(services: PumpServices, run: LaunchedRun): Promise<RunEvent> {
  const { events, controller, userId, release } = run;
  let first: IteratorResult<RunEvent>;
  try {
    first = await events.next();
  } catch (error) {
    release();
    throw error;
  }
  if (first.done) {
    release();
    throw new RpcError('INTERNAL', 'the run produced no events');
  }
  const hub = new RunHub();
  const key = { userId, runId: first.value.runId };
  const opening = first.value.type === 'run.started' ? first.value : undefined;
  services.live.add({
    ...key,
    hub,
    controller,
    agentId: opening?.agentId ?? '',
    sessionId: opening?.sessionId ?? '',
    startedAt: Date.now(),
  });
  pumpRun(services, { events, first: first.value, hub, key, controller, release });
  return first.value;
}

/** Starts pumping; returns at once, the run goes on in the background. */
function pumpRun(services: PumpServices, run: PumpedRun): void {
  const { events, first, hub, key, controller, release } = run;
  const { runId, userId } = key;
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
  const unwatchCancel = services.cancelWatch.watch({ userId, runId }, () => {
    if (!hub.done) controller.abort();
  });
  const accept = (event: RunEvent): true | Promise<void> => {
    // A cancel can change nothing once the run has ended: no need to look for one while the log is stored.
    if (isTerminalEvent(event)) unwatchCancel();
    const stored = services.eventLog.add(key, event);
    if (!stored) {
      publish(event);
      return true;
    }
    ending = Promise.race([stored, sleep(endWaitMs)]).then(() => publish(event));
    return ending;
  };
  accept(first);
  const log = services.logger.child({ runId, userId });
  const started = performance.now();
  services.metrics.activeRuns.inc();
  const timeout = setTimeout(() => {
    const seconds = Math.round(services.runTimeoutMs / 1000);
    controller.abort(
      new RpcError('RUN_TIMEOUT', `the run went on longer than the server's limit of ${seconds} s`),
    );
  }, services.runTimeoutMs);
  timeout.unref();
  if (first.type === 'run.started') {
    log.info({ agentId: first.agentId, sessionId: first.sessionId }, 'run started');
  } else {
    log.info({ event: first.type }, 'run resumed');
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
      services.onError(error as AgentRpcError);
    } finally {
      await services.eventLog.flush();
      // The feed can end before its last event is published (that waits for the
      // log); closing the hub first would end its readers without that event.
      await ending;
      hub.close();
      uncountIfDone();
      const last = hub.last;
      const output = last && 'output' in last ? last.output : undefined;
      clearTimeout(timeout);
      unwatchCancel();
      services.metrics.activeRuns.dec();
      if (last && output) services.metrics.runEnded(output.agentId, last);
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
      services.live.forgetLater(key, hub);
    }
  })();
}
