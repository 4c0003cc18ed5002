// One run in detail: its metrics, its error and code, and every event as a
// timeline (seq, type, time since the first) with the raw JSON of each.
import type { RunEvent } from '@agentrpc/sdk';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { messageOf, useClient } from '../connection/client-context.tsx';
import { ErrorNote } from '../connection/error-note.tsx';

export function RunInspector(props: { runId: string; userId?: string | undefined }) {
  const { runId, userId } = props;
  const client = useClient();
  const run = useQuery({
    queryKey: ['run', runId, userId],
    queryFn: () => client.runs.get({ runId, ...(userId ? { userId } : {}) }),
  });
  const events = useEvents(runId, userId === undefined);
  if (run.isError) {
    return (
      <main className="details">
        <ErrorNote error={run.error} />
      </main>
    );
  }
  const r = run.data;
  const first = events.list[0]?.createdAt ?? 0;
  return (
    <main className="details">
      <h1>Run {runId.slice(0, 8)}</h1>
      {r && (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>{r.status}</dd>
            <dt>Agent · model</dt>
            <dd>
              {r.agentId} · {r.model}
            </dd>
            <dt>Tokens in / out</dt>
            <dd>
              {r.metrics.inputTokens} / {r.metrics.outputTokens}
              {r.metrics.usageEstimated ? ' (estimated)' : ''}
            </dd>
            <dt>Cached · reasoning</dt>
            <dd>
              {r.metrics.cachedTokens} · {r.metrics.reasoningTokens}
            </dd>
            <dt>Cost</dt>
            <dd>
              {r.metrics.costUsd === undefined ? 'unknown' : `$${r.metrics.costUsd.toFixed(6)}`}
            </dd>
            <dt>Time to first token</dt>
            <dd>{r.metrics.timeToFirstTokenMs ?? '–'} ms</dd>
            <dt>Duration</dt>
            <dd>{r.metrics.durationMs} ms</dd>
            <dt>Model calls</dt>
            <dd>{r.metrics.modelCalls}</dd>
          </dl>
          {r.error && (
            <p role="alert" className="error">
              <strong>{r.error.code}</strong> {r.error.message}
            </p>
          )}
        </>
      )}
      <h2>Events</h2>
      {events.failure && <p className="error">{events.failure}</p>}
      {userId && <p className="muted">Events are shown to the run's own user only.</p>}
      <ol className="timeline" aria-label="Events">
        {events.list.map((event) => (
          <li key={event.seq}>
            <details>
              <summary>
                <span className="seq">#{event.seq}</span> <code>{event.type}</code>{' '}
                <span className="muted">+{event.createdAt - first} ms</span>
              </summary>
              <pre>{JSON.stringify(event, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ol>
    </main>
  );
}

/** Every event of the run: the stored ones, then live ones until it ends. */
function useEvents(runId: string, enabled: boolean) {
  const client = useClient();
  const [list, setList] = useState<RunEvent[]>([]);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setList([]);
    void (async () => {
      try {
        for await (const event of client.runs.events({ runId }, { signal: controller.signal })) {
          setList((all) => [...all, event]);
        }
      } catch (error) {
        if (!controller.signal.aborted) setFailure(messageOf(error));
      }
    })();
    return () => controller.abort();
  }, [client, runId, enabled]);
  return { list, failure };
}
