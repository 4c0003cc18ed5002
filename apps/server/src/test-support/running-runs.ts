// A memory store holding one user's running runs, for tests of what watches
// or reads many runs at once (the log poller, the cancel watch).
import { MemoryStore, type RunKey } from '@agentrpc/core';
import { contentEvent, runFixture, sessionFixture } from '@agentrpc/core/testing';

/** `count` running runs of user 'u' (ids r0, r1, …), each with `events` content events logged. */
export async function storeWithRunningRuns(count: number, events = 0) {
  const store = new MemoryStore();
  const session = await store.createSession(sessionFixture('u'));
  const runs: RunKey[] = [];
  for (let i = 0; i < count; i++) {
    const run = runFixture(session, { runId: `r${i}`, status: 'running' });
    await store.appendRun(run);
    const logged = Array.from({ length: events }, (_, seq) => contentEvent(run.runId, seq + 1));
    if (logged.length > 0) await store.appendEvents(run, logged);
    runs.push({ userId: run.userId, runId: run.runId });
  }
  return { store, runs };
}
