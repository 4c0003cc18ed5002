// The events of runs still going, kept in sessionStorage as they arrive: after
// a reload the view is rebuilt from them and the stream resumes after the last
// one (lastEventId), so nothing is shown twice or lost. A run's events are
// dropped once it has ended.
import type { RunEvent } from '@agentrpc/sdk';

const prefix = 'agentrpc.run.';

export function cachedEvents(runId: string): RunEvent[] {
  try {
    const raw = sessionStorage.getItem(prefix + runId);
    return raw ? (JSON.parse(raw) as RunEvent[]) : [];
  } catch {
    return [];
  }
}

export function cacheEvents(runId: string, events: RunEvent[]): void {
  try {
    sessionStorage.setItem(prefix + runId, JSON.stringify(events));
  } catch {
    // Storage full: a reload then replays the run from its start instead.
    sessionStorage.removeItem(prefix + runId);
  }
}

export function forgetEvents(runId: string): void {
  sessionStorage.removeItem(prefix + runId);
}
