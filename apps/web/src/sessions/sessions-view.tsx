// The sessions view: the list, and one session's details: its usage, its state
// (read-only JSON) and its runs, each opening in the inspector.
import { useQuery } from '@tanstack/react-query';
import { hrefOf } from '../app/router.ts';
import { useClient } from '../connection/client-context.tsx';
import { ErrorNote } from '../connection/error-note.tsx';
import { RunTable } from '../inspector/run-table.tsx';
import { SessionList } from './session-list.tsx';

export function SessionsView({ sessionId }: { sessionId?: string | undefined }) {
  return (
    <div className="layout">
      <SessionList
        current={sessionId}
        linkTo={(s) => ({ view: 'sessions', sessionId: s.sessionId })}
      />
      <main className="details">
        {sessionId ? (
          <SessionDetails sessionId={sessionId} />
        ) : (
          <p className="muted">Pick a session.</p>
        )}
      </main>
    </div>
  );
}

function SessionDetails({ sessionId }: { sessionId: string }) {
  const client = useClient();
  const session = useQuery({
    queryKey: ['session', sessionId],
    queryFn: () => client.sessions.get({ sessionId }),
  });
  const runs = useQuery({
    queryKey: ['runs', sessionId],
    queryFn: () => client.runs.list({ sessionId }),
  });
  if (session.isError) {
    return <ErrorNote error={session.error} />;
  }
  const s = session.data;
  if (!s) return <p className="loading">Loading…</p>;
  return (
    <>
      <h1>{s.name}</h1>
      <p>
        <a href={hrefOf({ view: 'chat', agentId: s.agentId, sessionId })}>Open in chat</a>
      </p>
      <dl className="facts">
        <dt>Agent</dt>
        <dd>{s.agentId}</dd>
        <dt>Runs</dt>
        <dd>{s.runCount}</dd>
        <dt>Tokens</dt>
        <dd>
          {s.usage?.totalTokens ?? 0}
          {s.usage?.estimatedTokens ? ` (${s.usage.estimatedTokens} estimated)` : ''}
        </dd>
        <dt>Updated</dt>
        <dd>{new Date(s.updatedAt).toLocaleString()}</dd>
      </dl>
      <h2>State</h2>
      <pre data-testid="session-state">{JSON.stringify(s.state, null, 2)}</pre>
      {s.summary && (
        <>
          <h2>Summary</h2>
          <p>{s.summary}</p>
        </>
      )}
      <h2>Runs</h2>
      {runs.data && <RunTable runs={runs.data} />}
    </>
  );
}
