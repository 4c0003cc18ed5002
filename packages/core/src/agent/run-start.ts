// What a run needs to start, whether new or continued, and the store writes
// that open it: the session's lease, the run's record and, for a session made
// for the run, the session itself, taken back together when one of them fails.
import { randomUUID } from 'node:crypto';
import type { RunRecord } from '../run/types.ts';
import type { SessionLease } from '../session/session-lease.ts';
import type { Store } from '../store/types.ts';
import { type DriveOptions, reportToConsole } from './drive-run.ts';

export interface RunStart extends Pick<DriveOptions, 'session' | 'opening' | 'isNew' | 'resume'> {
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
 * the agent (continued-run.ts) and other processes have other holders.
 */
export function leaseOwner(start: RunStart, holder: string | undefined): string {
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
export async function openTogether(
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
