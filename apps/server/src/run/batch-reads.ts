// Reading many runs, or many runs' events, in one store call where the store
// takes several at once (getRuns, readEventBatches are optional in the Store
// interface), else one call each. The run watchers of a process (the cancel
// watch, the log poller) read for all their runs together.
import type { EventQuery, RunEvent, RunKey, RunRecord, Store } from '@agentrpc/core';

/** Each key's run, or null, in the keys' order. */
export function readRuns(store: Store, keys: RunKey[]): Promise<(RunRecord | null)[]> {
  return store.getRuns ? store.getRuns(keys) : Promise.all(keys.map((key) => store.getRun(key)));
}

/** Each query's events, in the queries' order. */
export function readEventsOf(store: Store, queries: EventQuery[]): Promise<RunEvent[][]> {
  return store.readEventBatches
    ? store.readEventBatches(queries)
    : Promise.all(queries.map((query) => store.readEvents(query)));
}
