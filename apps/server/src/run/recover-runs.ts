// After a crash, runs may be left marked running. On start, every such run
// whose session lease has expired (nobody is running it) is ended as an error
// with code INTERRUPTED, with a run.error event so followers see the end.
import type { RunEvent, Store } from '@agentrpc/core';

export async function recoverInterruptedRuns(store: Store): Promise<number> {
  let recovered = 0;
  for (const run of await store.listUnfinishedRuns(10_000)) {
    const lease = { key: `session:${run.sessionId}`, owner: `recovery:${run.runId}` };
    // Holding the session's lease proves no live process is running it.
    if (!(await store.acquireLease({ ...lease, ttlMs: 30_000 }))) continue;
    try {
      const key = { userId: run.userId, runId: run.runId };
      const current = await store.getRun(key);
      if (!current || (current.status !== 'running' && current.status !== 'pending')) continue;
      const written = await store.readEvents({ ...key, afterSeq: current.lastSeq, limit: 10_000 });
      const seq = (written.at(-1)?.seq ?? current.lastSeq) + 1;
      const error = {
        code: 'INTERRUPTED' as const,
        message: 'The server running this run stopped before it finished; start it again',
      };
      const output = await store.updateRun(key, { status: 'error', error, lastSeq: seq });
      const event: RunEvent = {
        type: 'run.error',
        runId: run.runId,
        seq,
        createdAt: Date.now(),
        code: error.code,
        message: error.message,
        output,
      };
      await store.appendEvents(key, [event]);
      recovered++;
    } finally {
      await store.releaseLease(lease);
    }
  }
  return recovered;
}
