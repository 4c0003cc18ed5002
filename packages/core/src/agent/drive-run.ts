// Drives an ActiveRun to its end: the opening event, the loop, then exactly one
// terminal event, written to the store before it is emitted. A reader that
// goes away cancels the run; nothing is left `running`.
import { type AgentRpcError, toAgentRpcError } from '../errors.ts';
import type { ToolCall } from '../message/types.ts';
import { costOf } from '../model/pricing.ts';
import { type ActiveRun, nextEvent } from '../run/active-run.ts';
import type { RunEvent } from '../run/events.ts';
import { classifyRunError } from '../run/model-step.ts';
import { continueLoop, runLoop } from '../run/run-loop.ts';
import type { ToolDecision } from '../run/tool-step.ts';
import { endSpan, startSpan } from '../run/tracing.ts';
import type { RunMetrics, RunStatus } from '../run/types.ts';
import type { SessionLease } from '../session/session-lease.ts';
import type { Session, SessionUsage } from '../session/types.ts';
import type { Store } from '../store/types.ts';

export interface DriveOptions {
  run: ActiveRun;
  store: Store;
  session: Session;
  lease: SessionLease;
  /** The run.started or run.continued event. */
  opening: RunEvent;
  /** True for a new run (counted in the session's runCount). */
  isNew: boolean;
  /** For a continued run: the paused round of tool calls and the caller's decisions. */
  resume?: { calls: ToolCall[]; decisions: Map<string, ToolDecision> };
  /** Failures nobody else can hear of (the lease release); default console.error. */
  onBackgroundError?: (error: unknown) => void;
}

/** Where failures nobody else can hear of go by default. */
export const reportToConsole = (error: unknown) => console.error('agentrpc:', error);

function settle(run: ActiveRun, status: RunStatus, error?: AgentRpcError) {
  const { output } = run;
  output.status = status;
  if (error) output.error = { code: error.code, message: error.message };
  const metrics = output.metrics;
  metrics.durationMs += Math.round(performance.now() - run.startedAt);
  const price = run.model.price;
  if (price) metrics.costUsd = costOf(price, metrics);
  output.updatedAt = Date.now();
}

function terminalEvent(run: ActiveRun, error?: AgentRpcError): RunEvent {
  const output = run.output;
  switch (output.status) {
    case 'completed':
      return nextEvent(run, { type: 'run.completed', output });
    case 'paused':
      return nextEvent(run, {
        type: 'run.paused',
        pendingToolCalls: output.pendingToolCalls ?? [],
        output,
      });
    case 'cancelled':
      return nextEvent(run, { type: 'run.cancelled', output });
    default:
      return nextEvent(run, {
        type: 'run.error',
        code: error?.code ?? 'INTERNAL',
        message: error?.message ?? 'unknown error',
        output,
      });
  }
}

/** What this stretch of the run adds to the session's totals (a continued run counted its first part already). */
function usageOf(metrics: RunMetrics, counted: SessionUsage): SessionUsage {
  const estimated = (metrics.estimatedTokens ?? 0) - (counted.estimatedTokens ?? 0);
  return {
    inputTokens: metrics.inputTokens - counted.inputTokens,
    outputTokens: metrics.outputTokens - counted.outputTokens,
    totalTokens: metrics.totalTokens - counted.totalTokens,
    costUsd: (metrics.costUsd ?? 0) - counted.costUsd,
    ...(estimated > 0 ? { estimatedTokens: estimated } : {}),
  };
}

/** Writes the run's record (its status last of all it has to say). */
function saveRun({ run, store }: DriveOptions) {
  const { runId, userId, sessionId: _s, agentId: _a, createdAt: _c, ...patch } = run.output;
  return store.updateRun({ userId, runId }, patch);
}

/**
 * Saves the session (state and totals) and then the run. The session goes
 * first: a state the store cannot take must not leave the run recorded as
 * completed.
 */
async function persist(options: DriveOptions) {
  const { run, store, session, isNew } = options;
  await store.updateSession(
    { userId: run.output.userId, sessionId: session.sessionId },
    {
      state: run.toolContext.state,
      ...(isNew ? { addRuns: 1 } : {}),
      addUsage: usageOf(run.output.metrics, run.counted),
    },
  );
  await saveRun(options);
}

/**
 * The terminal event, once the run is saved. A failed save ends the run as
 * STORE_ERROR instead, with status `error` in the event and (when the store
 * takes that much) in the run's record, so the two never disagree.
 */
async function saveAndEnd(
  options: DriveOptions,
  error: AgentRpcError | undefined,
): Promise<RunEvent> {
  const { run } = options;
  const last = terminalEvent(run, error);
  try {
    await persist(options);
    return last;
  } catch (storeError) {
    const failure = toAgentRpcError(storeError, 'STORE_ERROR');
    const message = `The run could not be saved: ${failure.message}`;
    run.output.lastSeq = last.seq - 1;
    run.output.status = 'error';
    run.output.error = { code: failure.code, message };
    delete run.output.pendingToolCalls;
    const ended = nextEvent(run, {
      type: 'run.error',
      code: failure.code,
      message,
      output: run.output,
    });
    // A store that is down takes nothing; recovery then ends the run as INTERRUPTED.
    await saveRun(options).catch(options.onBackgroundError ?? reportToConsole);
    return ended;
  }
}

/** Runs to the end, emitting every event through run.emit. Never throws. */
export async function driveRun(options: DriveOptions): Promise<void> {
  const { run } = options;
  const report = options.onBackgroundError ?? reportToConsole;
  let last: RunEvent | undefined;
  const { output } = run;
  run.span = startSpan('agentrpc.run', {
    'agentrpc.run_id': output.runId,
    'agentrpc.agent_id': output.agentId,
    'agentrpc.session_id': output.sessionId,
    'enduser.id': output.userId,
    'agentrpc.continued': !options.isNew,
  });
  try {
    run.emit(options.opening);
    let error: AgentRpcError | undefined;
    try {
      const outcome = await (options.resume ? continueLoop(run, options.resume) : runLoop(run));
      if (outcome === 'completed') for (const finish of run.finishers) await finish(run);
      settle(run, outcome);
    } catch (thrown) {
      error = classifyRunError(run, thrown);
      settle(run, error.code === 'CANCELLED' ? 'cancelled' : 'error', error);
    }
    last = await saveAndEnd(options, error);
  } finally {
    // Free the session before the reader hears the run ended, so its next run
    // can start at once. A lease that fails to release expires by itself.
    await options.lease.release().catch(report);
    endSpan(run.span, {
      ...(output.error ? { error: output.error } : {}),
      attributes: {
        'agentrpc.status': output.status,
        'gen_ai.usage.input_tokens': output.metrics.inputTokens,
        'gen_ai.usage.output_tokens': output.metrics.outputTokens,
      },
    });
    if (last) run.emit(last);
  }
}
