// Follows one run: starts it (runs.stream, with a run id chosen here so a retry
// never starts a second one) or resumes it (runs.events after the last event
// seen), caching its events for a reload; stops and continues it.
import type { RunOutput, RunRequest } from '@agentrpc/sdk';
import { useEffect, useRef, useState } from 'react';
import { useClient } from '../connection/client-context.tsx';
import { cachedEvents, cacheEvents, forgetEvents } from './event-cache.ts';
import { applyEvent, emptyRun, isSettled, type RunState, stateOfRun } from './run-state.ts';

/** Runs this page has asked to start: any later follower resumes instead. */
const started = new Set<string>();

export interface RunOptions {
  runId: string;
  /** The request that starts the run, when this page starts it. */
  start?: RunRequest | undefined;
  /** The run as stored, when it is known. */
  stored?: RunOutput | undefined;
  /** Called once when the run ends or pauses. */
  onSettled?: (() => void) | undefined;
}

export interface FollowedRun {
  state: RunState;
  /** The stream failed (not the run): why. */
  failure: string | undefined;
  stop(): Promise<void>;
  decide(decisions: {
    approvals?: Record<string, boolean>;
    toolResults?: Record<string, unknown>;
  }): Promise<void>;
}

function initialState(options: RunOptions): RunState {
  const { runId, stored } = options;
  if (stored && (isSettled(stored) || stored.status === 'paused')) return stateOfRun(stored);
  return cachedEvents(runId).reduce(applyEvent, emptyRun(runId));
}

export function useRun(options: RunOptions): FollowedRun {
  const client = useClient();
  const [state, setState] = useState(() => initialState(options));
  const [failure, setFailure] = useState<string | undefined>();
  /** Bumped to follow again (after a continue). */
  const [round, setRound] = useState(0);
  const latest = useRef(state);
  latest.current = state;
  const onSettled = useRef(options.onSettled);
  onSettled.current = options.onSettled;
  const { runId, start } = options;

  useEffect(() => {
    const current = latest.current;
    if (isSettled(current) || (current.status === 'paused' && round === 0)) return;
    const controller = new AbortController();
    const events = cachedEvents(runId).filter((e) => e.seq <= current.lastSeq);
    const lastEventId = current.lastSeq > 0 ? `${runId}:${current.lastSeq}` : undefined;
    const subscription =
      start && !started.has(runId) && current.lastSeq === 0
        ? client.runs.stream({ ...start, runId }, { signal: controller.signal })
        : client.runs.events(
            { runId },
            { signal: controller.signal, ...(lastEventId ? { lastEventId } : {}) },
          );
    started.add(runId);
    void (async () => {
      try {
        let view = latest.current;
        for await (const event of subscription) {
          if (event.seq <= view.lastSeq) continue;
          events.push(event);
          view = applyEvent(view, event);
          latest.current = view;
          setState(view);
          if (isSettled(view)) forgetEvents(runId);
          else cacheEvents(runId, events);
        }
        if (isSettled(view) || view.status === 'paused') onSettled.current?.();
      } catch (error) {
        if (!controller.signal.aborted)
          setFailure(error instanceof Error ? error.message : String(error));
      }
    })();
    return () => controller.abort();
  }, [client, runId, start, round]);

  return {
    state,
    failure,
    stop: async () => {
      await client.runs.cancel({ runId });
    },
    decide: async (decisions) => {
      await client.runs.continue({ runId, ...decisions });
      setRound((n) => n + 1);
    },
  };
}
