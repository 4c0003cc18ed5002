// Cancelling a run by its record: what runs.cancel does for a run that is not
// live in this process (one live here is aborted on the spot). A paused run
// ends here and now; a running one whose process died is ended as cancelled;
// one live on another instance is asked through its record, which that
// instance reads every cancelPollMs (cancel-watch.ts).
import type { RunEvent, RunKey, RunRecord, Store } from '@agentrpc/core';
import { endOrphanedRun } from './recover-runs.ts';

export async function cancelStoredRun(
  store: Store,
  key: RunKey,
  record: RunRecord,
): Promise<{ status: string }> {
  if (record.status === 'paused') {
    const seq = record.lastSeq + 1;
    const output = { ...record, status: 'cancelled' as const, updatedAt: Date.now() };
    await store.updateRun(key, { status: 'cancelled', lastSeq: seq });
    const event: RunEvent = {
      type: 'run.cancelled',
      runId: key.runId,
      seq,
      createdAt: Date.now(),
      output,
    };
    await store.appendEvents(key, [event]);
    return { status: 'cancelled' };
  }
  if (record.status === 'running' || record.status === 'pending') {
    // Nobody runs it (its process died): end it here and now.
    if (await endOrphanedRun(store, { run: record, ending: 'cancelled' })) {
      return { status: 'cancelled' };
    }
    // Live on another instance: ask it through the store.
    const marked = await store.updateRun(key, { cancelRequestedAt: Date.now() });
    const live = marked.status === 'running' || marked.status === 'pending';
    return { status: live ? 'cancelling' : marked.status };
  }
  return { status: record.status };
}
