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
  /**
   * The creation, still going, of a session made for this run under an id
   * made here: no one else can know that session yet, so its lease and the
   * run's record go to the store at the same time rather than after it.
   */
  creating?: Promise<unknown>;
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

/**
 * Waits for a new session's creation, its lease and the run's record, sent
 * to the store together (one transaction on SQLite, three round trips at
 * once on MongoDB). When any fails, takes back what went through (the
 * session, with the record; or, when the session is what failed, ends the
 * record as an error) and throws the first failure.
 */
async function openTogether(
  store: Store,
  start: RunStart,
  leasing: Promise<SessionLease>,
): Promise<SessionLease> {
  const [created, held, saved] = await Promise.allSettled([start.creating, leasing, start.save()]);
  if (
    created.status === 'fulfilled' &&
    held.status === 'fulfilled' &&
    saved.status === 'fulfilled'
  ) {
    return held.value;
  }
  if (held.status === 'fulfilled') await held.value.release().catch(reportToConsole);
  if (created.status === 'fulfilled') {
    await start.undo?.().catch(reportToConsole);
  } else if (saved.status === 'fulfilled') {
    const { userId, runId } = start.record;
    const error = { code: 'STORE_ERROR' as const, message: "the run's session could not be saved" };
    await store.updateRun({ userId, runId }, { status: 'error', error }).catch(reportToConsole);
  }
  const failed = [created, held, saved].find((result) => result.status === 'rejected');
  throw (failed as PromiseRejectedResult).reason;
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
      // Checked before the session is made, so input it refuses leaves none behind.
      const overrides = overridesOf(this.options, options);
      // A run id this user has used already is refused by the store when the
      // run is saved (CONFLICT), and a session made for it is taken back then
      // (undo): reading first would cost every run a store call.
      const { session, created, creating } = await this.#openSession(userId, messages, options);
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
        ...(options.servedBy ? { servedBy: options.servedBy } : {}),
        ...overrides,
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
        ...(creating ? { creating } : {}),
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
      if (options.servedBy) record.servedBy = options.servedBy;
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
              {
                status: 'running',
                lastSeq: record.lastSeq,
                ...(options.servedBy ? { servedBy: options.servedBy } : {}),
              },
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
      const leasing = this.#lease(start.session, owner, options, (error) =>
        run?.controller.abort(error),
      );
      const lease = start.creating ? await openTogether(this.store, start, leasing) : await leasing;
      if (start.isNew && !start.creating) {
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
          newSession: start.creating !== undefined,
        });
        run.emit = (event) => channel.push(event);
        run.mergeDelta = (type, delta) => channel.mergeDelta(type, delta);
        if (!start.creating) await start.save();
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

  /**
   * The run's session, found or made for it (`created`). One made under an id
   * made here is still being written (`creating`) when this returns.
   */
  async #openSession(
    userId: string,
    messages: Message[],
    options: RunOptions,
  ): Promise<{ session: Session; created: boolean; creating?: Promise<unknown> }> {
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
    const fresh: Session = {
      sessionId: options.sessionId ?? randomUUID(),
      userId,
      agentId: this.id,
      name: options.sessionName ?? nameFrom(messages),
      state: {},
      metadata: {},
      runCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    // Stores take what they are given when called, so `fresh` is the run's own.
    if (!options.sessionId)
      return { session: fresh, created: true, creating: store.createSession(fresh) };
    return { session: await store.createSession(fresh), created: true };
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
