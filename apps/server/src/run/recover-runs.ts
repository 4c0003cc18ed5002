// Runs whose process died stay marked running in the store. Holding a run's
// session lease proves that no live process is running it (a live run renews
// that lease), so such an orphan can be ended: as INTERRUPTED by the sweep that
// every instance makes at start and then periodically, or as cancelled by
// runs.cancel. Its terminal event goes to the log, so followers see the end.
import type { RunEvent, RunKey, RunRecord, Store } from '@agentrpc/core';
import { sessionLeaseKey } from '@agentrpc/core/internal';

type Ending = 'interrupted' | 'cancelled';

/**
 * Ends `run` as `ending` if nobody is running it; false when a live process
 * holds it (or it already ended).
 */
export async function endOrphanedRun(
  store: Store,
  request: {
    run: Pick<RunRecord, 'runId' | 'userId' | 'sessionId'>;
    ending: Ending;
    /** This process's previous life: a lease held in its name is free to take. */
    reclaimFrom?: string;
  },
): Promise<boolean> {
  const { run, ending, reclaimFrom } = request;
  const lease = { key: sessionLeaseKey(run.userId, run.sessionId), owner: `recovery:${run.runId}` };
  if (reclaimFrom) {
    // Nothing runs in this process yet: a lease in its name is a run its last life left behind.
    await store.releaseLease({ key: lease.key, owner: `${run.runId}@${reclaimFrom}` });
  }
  if (!(await store.acquireLease({ ...lease, ttlMs: 30_000 }))) return false;
  try {
    const key = { userId: run.userId, runId: run.runId };
    const current = await store.getRun(key);
    if (!current || (current.status !== 'running' && current.status !== 'pending')) return false;
    const written = await store.readEvents({ ...key, afterSeq: current.lastSeq, limit: 10_000 });
    const seq = (written.at(-1)?.seq ?? current.lastSeq) + 1;
    const createdAt = Date.now();
    let event: RunEvent;
    if (ending === 'cancelled') {
      const output = await store.updateRun(key, { status: 'cancelled', lastSeq: seq });
      event = { type: 'run.cancelled', runId: run.runId, seq, createdAt, output };
    } else {
      const error = {
        code: 'INTERRUPTED' as const,
        message: 'The server running this run stopped before it finished; start it again',
      };
      const output = await store.updateRun(key, { status: 'error', error, lastSeq: seq });
      event = { type: 'run.error', runId: run.runId, seq, createdAt, ...error, output };
    }
    await store.appendEvents(key, [event]);
    return true;
  } finally {
    await store.releaseLease(lease);
  }
}

/**
 * Ends every orphaned run as INTERRUPTED, but those `liveHere` knows; returns
 * how many it ended. At start, `reclaimFrom` (this process's instance id) ends
 * its previous life's runs at once, without waiting for their leases to expire.
 */
export async function recoverInterruptedRuns(
  store: Store,
  options: { liveHere?: (run: RunKey) => boolean; reclaimFrom?: string } = {},
): Promise<number> {
  let recovered = 0;
  for (const run of await store.listUnfinishedRuns(10_000)) {
    if (options.liveHere?.(run)) continue;
    const reclaim = options.reclaimFrom ? { reclaimFrom: options.reclaimFrom } : {};
    if (await endOrphanedRun(store, { run, ending: 'interrupted', ...reclaim })) recovered++;
  }
  return recovered;
}

/** Sweeps for orphans every `intervalMs` while the server lives (their leases expire by then). */
export function sweepOrphanedRuns(
  store: Store,
  options: {
    intervalMs: number;
    liveHere: (run: RunKey) => boolean;
    onError: (error: unknown) => void;
  },
): NodeJS.Timeout {
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    recoverInterruptedRuns(store, { liveHere: options.liveHere })
      .catch(options.onError)
      .finally(() => {
        sweeping = false;
      });
  }, options.intervalMs);
  timer.unref();
  return timer;
}
