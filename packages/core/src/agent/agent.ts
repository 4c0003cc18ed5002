// Agent: a model with instructions and tools, run per user and session.
// Construction only keeps the options, so an Agent can be built per request.
import { randomUUID } from 'node:crypto';
import { AgentRpcError, type ErrorCode } from '../errors.ts';
import type { Message } from '../message/types.ts';
import type { ActiveRun } from '../run/active-run.ts';
import { EventChannel, type RunEventStream } from '../run/event-channel.ts';
import type { RunEvent } from '../run/events.ts';
import { emptyMetrics, type RunOutput, type RunRecord } from '../run/types.ts';
import { deepMerge } from '../session/deep-merge.ts';
import { acquireSessionLease, type SessionLease } from '../session/session-lease.ts';
import type { Session } from '../session/types.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/types.ts';
import { buildActiveRun, overridesOf } from './build-active-run.ts';
import { decisionsFor } from './decisions.ts';
import { type DriveOptions, driveRun, reportToConsole } from './drive-run.ts';
import { inputMessages, nameFrom } from './input-messages.ts';
import type {
  AgentOptions,
  ContinueInput,
  ContinueOptions,
  RunInput,
  RunOptions,
} from './options.ts';

const defaultUser = 'anonymous';

interface RunStart extends Pick<DriveOptions, 'session' | 'opening' | 'isNew' | 'resume'> {
  record: RunRecord;
  /** Writes the run record before the first event. */
  save: () => Promise<unknown>;
  /** Checks, once the session is held, that nothing took the run meanwhile; throws if it did. */
  confirm?: () => Promise<void>;
  /** Called when the run, confirmed, could not start after all. */
  abandon?: () => void;
  /** Takes back what preparing wrote (a session made for this run) when the run could not start. */
  undo?: () => Promise<void>;
}

/**
 * Who holds a run's session lease. A lease is re-entrant for its owner, so two
 * continues of one run must not share one: without a holder each continue is
 * an owner of its own; with one, continues in one process are kept apart by
 * the agent (see #continuing) and other processes have other holders.
 */
function leaseOwner(start: RunStart, holder: string | undefined): string {
  const { runId } = start.record;
  if (holder) return `${runId}@${holder}`;
  return start.isNew ? runId : `${runId}/${randomUUID()}`;
}

/** Stores made for agents given none; kept outside the Agent so it stays small. */
const defaultStores = new WeakMap<Agent<unknown>, Store>();

function signalOf(options: { signal?: AbortSignal }) {
  return options.signal ? { signal: options.signal } : {};
}

export class Agent<Output = unknown> {
  readonly options: AgentOptions<Output>;

  /** Runs being continued in this process, between their check and their save. */
  readonly #continuing = new Set<string>();

  constructor(options: AgentOptions<Output>) {
    this.options = options;
  }

  get id(): string {
    return this.options.id;
  }

  get name(): string {
    return this.options.name ?? this.options.id;
  }

  get store(): Store {
    if (this.options.store) return this.options.store;
    let store = defaultStores.get(this);
    if (!store) {
      store = new MemoryStore();
      defaultStores.set(this, store);
    }
    return store;
  }

  /** Runs to the end. Resolves for completed and paused runs; failed or cancelled ones throw. */
  run(input: RunInput, options: RunOptions = {}): Promise<RunOutput<Output>> {
    return collectOutput<Output>(this.stream(input, options));
  }

  /**
   * Runs and yields every RunEvent; the last one is terminal. Input that cannot
   * start a run (bad input, unknown session, a session busy) throws instead.
   * Stopping the iteration early cancels the run.
   */
  stream(input: RunInput, options: RunOptions = {}): RunEventStream {
    return this.#start(options, async () => {
      const userId = options.userId ?? defaultUser;
      const messages = inputMessages(input, options);
      const runId = options.runId ?? randomUUID();
      // A run id this user has used already is refused by the store when the
      // run is saved (CONFLICT), and a session made for it is taken back then
      // (undo): reading first would cost every run a store call.
      const { session, created } = await this.#openSession(userId, messages, options);
      if (options.sessionState) session.state = deepMerge(session.state, options.sessionState);
      const now = Date.now();
      const record: RunRecord = {
        runId,
        sessionId: session.sessionId,
        userId,
        agentId: this.id,
        status: 'running',
        content: '',
        toolCalls: [],
        messages,
        model: this.options.model.id,
        metrics: emptyMetrics(),
        ...(options.metadata ? { metadata: options.metadata } : {}),
        ...overridesOf(this.options, options),
        lastSeq: 1,
        createdAt: now,
        updatedAt: now,
      };
      const opening: RunEvent = {
        type: 'run.started',
        runId,
        seq: 1,
        createdAt: now,
        sessionId: session.sessionId,
        userId,
        agentId: this.id,
        model: this.options.model.id,
      };
      const undo = async () => {
        await this.store.deleteSession({ userId, sessionId: session.sessionId });
      };
      return {
        session,
        record,
        opening,
        isNew: true,
        save: () => this.store.appendRun(record),
        ...(created ? { undo } : {}),
      };
    });
  }

  /** Resumes a paused run with approvals or tool results; resolves like run(). */
  continueRun(
    runId: string,
    input: ContinueInput,
    options: ContinueOptions = {},
  ): Promise<RunOutput<Output>> {
    return collectOutput<Output>(this.continueStream(runId, input, options));
  }

  continueStream(
    runId: string,
    input: ContinueInput,
    options: ContinueOptions = {},
  ): RunEventStream {
    return this.#start(options, async () => {
      const userId = options.userId ?? defaultUser;
      const record = await this.store.getRun({ userId, runId });
      if (!record || record.agentId !== this.id) {
        throw new AgentRpcError('NOT_FOUND', `run ${runId} not found`);
      }
      if (record.status !== 'paused') {
        throw new AgentRpcError('CONFLICT', `run ${runId} is ${record.status}, not paused`);
      }
      const decisions = decisionsFor(record, input);
      const session = await this.store.getSession({ userId, sessionId: record.sessionId });
      if (!session) throw new AgentRpcError('NOT_FOUND', `session ${record.sessionId} not found`);
      const calls = record.messages.at(-1)?.toolCalls ?? [];
      record.status = 'running';
      record.lastSeq += 1;
      /** This continue holds the run's place in #continuing. */
      let claimed = false;
      const unclaim = () => {
        if (claimed) this.#continuing.delete(runId);
        claimed = false;
      };
      const opening: RunEvent = {
        type: 'run.continued',
        runId,
        seq: record.lastSeq,
        createdAt: Date.now(),
      };
      return {
        session,
        record,
        opening,
        isNew: false,
        resume: { calls, decisions },
        save: async () => {
          try {
            await this.store.updateRun(
              { userId, runId },
              { status: 'running', lastSeq: record.lastSeq },
            );
          } finally {
            unclaim();
          }
        },
        // Two continues may both have seen `paused`. The session lease lets one
        // through at a time across processes, #continuing within this one, and
        // the one that comes second finds the run taken.
        confirm: async () => {
          if (this.#continuing.has(runId)) {
            throw new AgentRpcError('CONFLICT', `run ${runId} is being continued`);
          }
          this.#continuing.add(runId);
          claimed = true;
          const now = await this.store.getRun({ userId, runId });
          if (now?.status !== 'paused' || now.lastSeq !== record.lastSeq - 1) {
            unclaim();
            throw new AgentRpcError('CONFLICT', `run ${runId} was already continued`);
          }
        },
        abandon: unclaim,
      };
    });
  }

  /**
   * Prepares a run in the background and drives it into an event channel.
   * Preparation failures reach the reader as a thrown error.
   */
  #start(options: RunOptions | ContinueOptions, prepare: () => Promise<RunStart>): RunEventStream {
    let run: ActiveRun | undefined;
    let abandoned = false;
    const channel = new EventChannel(() => {
      abandoned = true;
      run?.controller.abort(new AgentRpcError('CANCELLED', 'The reader stopped reading the run'));
    });
    const begin = async () => {
      const start = await prepare();
      const owner = leaseOwner(start, options.holder);
      const lease = await this.#lease(start.session, owner, options, (error) =>
        run?.controller.abort(error),
      );
      if (start.isNew) {
        // A run starts when it holds its session, not when it was asked for:
        // history is ordered by this time.
        const now = Date.now();
        start.record.createdAt = now;
        start.record.updatedAt = now;
        start.opening.createdAt = now;
      }
      try {
        await start.confirm?.();
        run = await buildActiveRun({
          agent: this.options,
          store: this.store,
          session: start.session,
          record: start.record,
        });
        run.emit = (event) => channel.push(event);
        run.mergeDelta = (type, delta) => channel.mergeDelta(type, delta);
        await start.save();
      } catch (error) {
        start.abandon?.();
        await lease.release();
        // The run's own error is what the caller hears; a failed undo leaves an empty session.
        await start.undo?.().catch(reportToConsole);
        throw error;
      }
      const active = run;
      const signal = options.signal;
      const onAbort = () => active.controller.abort(signal?.reason);
      if (signal?.aborted || abandoned) active.controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await driveRun({ ...start, run: active, store: this.store, lease });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };
    begin().then(
      () => channel.end(),
      (error: unknown) => channel.fail(error),
    );
    return channel;
  }

  /** The run's session, found or made for it (`created`). */
  async #openSession(
    userId: string,
    messages: Message[],
    options: RunOptions,
  ): Promise<{ session: Session; created: boolean }> {
    const store = this.store;
    if (options.sessionId) {
      const found = await store.getSession({ userId, sessionId: options.sessionId });
      if (found) {
        if (found.agentId !== this.id) {
          throw new AgentRpcError(
            'CONFLICT',
            `session ${options.sessionId} belongs to agent ${found.agentId}`,
          );
        }
        return { session: found, created: false };
      }
    }
    // Ids are per user: another user's session of the same id is not this one's business.
    const now = Date.now();
    const session = await store.createSession({
      sessionId: options.sessionId ?? randomUUID(),
      userId,
      agentId: this.id,
      name: options.sessionName ?? nameFrom(messages),
      state: {},
      metadata: {},
      runCount: 0,
      createdAt: now,
      updatedAt: now,
    });
    return { session, created: true };
  }

  /** Holds the session for this run; `onLost` stops the run if another takes it. */
  #lease(
    session: Session,
    owner: string,
    options: RunOptions | ContinueOptions,
    onLost: (error: AgentRpcError) => void,
  ): Promise<SessionLease> {
    return acquireSessionLease({
      store: this.store,
      userId: session.userId,
      sessionId: session.sessionId,
      owner,
      ttlMs: this.options.sessionLeaseMs ?? 30_000,
      ...(options.waitForSession ? { wait: options.waitForSession } : {}),
      ...signalOf(options),
      onLost,
    });
  }
}

/** Drains a run's events into its output; error and cancelled runs throw. */
export async function collectOutput<Output>(
  events: AsyncIterable<RunEvent>,
): Promise<RunOutput<Output>> {
  for await (const event of events) {
    switch (event.type) {
      case 'run.completed':
      case 'run.paused':
        return event.output as RunOutput<Output>;
      case 'run.cancelled':
        throw new AgentRpcError('CANCELLED', 'The run was cancelled', { runId: event.runId });
      case 'run.error':
        throw new AgentRpcError(event.code as ErrorCode, event.message, { runId: event.runId });
    }
  }
  throw new AgentRpcError('INTERNAL', 'The run ended without a terminal event');
}
