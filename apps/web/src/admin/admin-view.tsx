// For admins: the runs going now and the server's totals, and any user's
// sessions and runs, read-only.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { hrefOf, navigate } from '../app/router.ts';
import { StoredRun } from '../chat/run-block.tsx';
import { stateOfRun } from '../chat/run-state.ts';
import { useClient } from '../connection/client-context.tsx';
import { ErrorNote } from '../connection/error-note.tsx';

export function AdminView(props: { userId?: string | undefined; sessionId?: string | undefined }) {
  return (
    <main className="details">
      <h1>Admin</h1>
      <Overview />
      <UserPicker userId={props.userId} />
      {props.userId && !props.sessionId && <UserSessions userId={props.userId} />}
      {props.userId && props.sessionId && (
        <UserSession userId={props.userId} sessionId={props.sessionId} />
      )}
    </main>
  );
}

function Overview() {
  const client = useClient();
  const overview = useQuery({
    queryKey: ['admin', 'overview'],
    queryFn: () => client.admin.overview(),
    refetchInterval: 2_000,
  });
  if (overview.isError) {
    return <ErrorNote error={overview.error} />;
  }
  const data = overview.data;
  if (!data) return <p className="loading">Loading…</p>;
  const { totals } = data;
  return (
    <section aria-label="Server">
      <h2>Now</h2>
      <dl className="facts">
        <dt>Live runs</dt>
        <dd>{data.liveRuns.length}</dd>
        <dt>Readers following runs</dt>
        <dd>{totals.subscriptions}</dd>
        <dt>Runs ended</dt>
        <dd>
          {Object.entries(totals.runsByStatus)
            .map(([status, count]) => `${status} ${count}`)
            .join(' · ') || '0'}
        </dd>
        <dt>Tokens in / out</dt>
        <dd>
          {totals.inputTokens} / {totals.outputTokens}
        </dd>
        <dt>Cost</dt>
        <dd>${totals.costUsd.toFixed(4)}</dd>
      </dl>
      {data.liveRuns.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Agent</th>
                <th scope="col">Run</th>
                <th scope="col">Running for</th>
              </tr>
            </thead>
            <tbody>
              {data.liveRuns.map((run) => (
                <tr key={`${run.userId}/${run.runId}`}>
                  <td>
                    <a href={hrefOf({ view: 'admin', userId: run.userId })}>{run.userId}</a>
                  </td>
                  <td>{run.agentId}</td>
                  <td>{run.runId.slice(0, 8)}</td>
                  <td>{Math.round((Date.now() - run.startedAt) / 1000)} s</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function UserPicker({ userId }: { userId?: string | undefined }) {
  const [value, setValue] = useState(userId ?? '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) navigate({ view: 'admin', userId: value.trim() });
  };
  return (
    <form onSubmit={submit} className="row" aria-label="Browse a user">
      <label htmlFor="admin-user">User id</label>
      <input id="admin-user" value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="submit">Browse</button>
    </form>
  );
}

function UserSessions({ userId }: { userId: string }) {
  const client = useClient();
  const sessions = useQuery({
    queryKey: ['admin', 'sessions', userId],
    queryFn: () => client.sessions.list({ userId, sortBy: 'updatedAt', order: 'desc', limit: 100 }),
  });
  if (sessions.isError) {
    return <ErrorNote error={sessions.error} />;
  }
  return (
    <section aria-label={`Sessions of ${userId}`}>
      <h2>Sessions of {userId}</h2>
      <ul className="session-list">
        {sessions.data?.items.map((s) => (
          <li key={s.sessionId}>
            <a href={hrefOf({ view: 'admin', userId, sessionId: s.sessionId })}>
              {s.name} <span className="muted">· {s.agentId}</span>
            </a>
          </li>
        ))}
      </ul>
      {sessions.data?.items.length === 0 && <p className="muted">No sessions.</p>}
    </section>
  );
}

function UserSession({ userId, sessionId }: { userId: string; sessionId: string }) {
  const client = useClient();
  const runs = useQuery({
    queryKey: ['admin', 'runs', userId, sessionId],
    queryFn: () => client.runs.list({ sessionId, userId }),
  });
  return (
    <section aria-label="Session, read-only">
      <h2>
        <a href={hrefOf({ view: 'admin', userId })}>{userId}</a> · session (read-only)
      </h2>
      {runs.isError && <ErrorNote error={runs.error} />}
      {runs.data?.map((run) => (
        <StoredRun key={run.runId} run={run} state={stateOfRun(run)} userId={userId} />
      ))}
    </section>
  );
}
