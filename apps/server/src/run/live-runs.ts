// The runs going in this process, by user and run id (run ids are per user),
// each with its hub and the controller that stops it. A run's hub stays
// listed for a while after it ends, so a reader that comes late still finds
// the run's last events here rather than only in the store.
import type { AgentRpcError, RunKey } from '@agentrpc/core';
import type { RunHub } from './run-hub.ts';

/** A run going in this process, as an admin sees it. */
export interface LiveRun {
  runId: string;
  userId: string;
  agentId: string;
  sessionId: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

export interface LiveEntry extends LiveRun {
  hub: RunHub;
  controller: AbortController;
}

/** How long a finished run's hub stays in memory for late readers. */
const hubGraceMs = 30_000;

const keyOf = (key: RunKey) => `${key.userId}\u0000${key.runId}`;

export class LiveRuns {
  readonly #runs = new Map<string, LiveEntry>();

  /** The run's entry, going or just ended. */
  get(key: RunKey): LiveEntry | undefined {
    return this.#runs.get(keyOf(key));
  }

  hubOf(key: RunKey): RunHub | undefined {
    return this.#runs.get(keyOf(key))?.hub;
  }

  /** Whether the run is going in this process. */
  isLive(key: RunKey): boolean {
    const entry = this.#runs.get(keyOf(key));
    return entry !== undefined && !entry.hub.done;
  }

  add(entry: LiveEntry): void {
    this.#runs.set(keyOf(entry), entry);
  }

  /** Forgets the ended run once late readers have had their grace, unless it was started again. */
  forgetLater(key: RunKey, hub: RunHub): void {
    setTimeout(() => {
      if (this.#runs.get(keyOf(key))?.hub === hub) this.#runs.delete(keyOf(key));
    }, hubGraceMs).unref();
  }

  /** The runs going now, oldest first. */
  list(): LiveRun[] {
    const live: LiveRun[] = [];
    for (const run of this.#runs.values()) {
      if (run.hub.done) continue;
      const { runId, userId, agentId, sessionId, startedAt } = run;
      live.push({ runId, userId, agentId, sessionId, startedAt });
    }
    return live;
  }

  /** Stops every run going with `reason`. */
  abortAll(reason: AgentRpcError): void {
    for (const run of this.#runs.values()) if (!run.hub.done) run.controller.abort(reason);
  }
}
