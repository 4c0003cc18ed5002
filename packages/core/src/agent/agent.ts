// Agent: a model with instructions and tools, run per user and session.
// Construction only keeps the options, so an Agent can be built per request.
// A run is prepared (new-run.ts, continued-run.ts), opened in the store with
// its session held (run-start.ts), then driven to its end (drive-run.ts).
import { AgentRpcError } from '../errors.ts';
import type { ActiveRun } from '../run/active-run.ts';
import { EventChannel, type RunEventStream } from '../run/event-channel.ts';
import type { RunOutput } from '../run/types.ts';
import { acquireSessionLease, type SessionLease } from '../session/session-lease.ts';
import type { Session } from '../session/types.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/types.ts';
import { buildActiveRun } from './build-active-run.ts';
import { collectOutput } from './collect-output.ts';
import { prepareContinue } from './continued-run.ts';
import { driveRun, reportToConsole } from './drive-run.ts';
import { prepareNewRun } from './new-run.ts';
import type {
  AgentOptions,
  ContinueInput,
  ContinueOptions,
  RunInput,
  RunOptions,
} from './options.ts';
import { leaseOwner, openTogether, type RunStart } from './run-start.ts';

/** Stores made for agents given none; kept outside the Agent so it stays small. */
const defaultStores = new WeakMap<Agent<unknown>, Store>();

function signalOf(options: { signal?: AbortSignal }) {
  return options.signal ? { signal: options.signal } : {};
}

export class Agent<Output = unknown> {
  readonly options: AgentOptions<Output>;

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
    return this.#start(options, () =>
      prepareNewRun({ agent: this.options, store: this.store, input, options }),
    );
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
    return this.#start(options, () =>
      prepareContinue({
        agent: this.options,
        store: this.store,
        runId,
        input,
        options,
      }),
    );
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
      const leasing = this.#lease(start.session, {
        owner,
        options,
        onLost: (error) => run?.controller.abort(error),
      });
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

  /** Holds the session for this run; `onLost` stops the run if another takes it. */
  #lease(
    session: Session,
    holding: {
      owner: string;
      options: RunOptions | ContinueOptions;
      onLost: (error: AgentRpcError) => void;
    },
  ): Promise<SessionLease> {
    const { owner, options, onLost } = holding;
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
