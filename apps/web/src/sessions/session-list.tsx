// The user's sessions, newest first: search, open, rename, delete (after a
// second click to confirm), and start a new one.
import type { Session } from '@agentrpc/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { hrefOf, navigate, type Route } from '../app/router.ts';
import { useClient } from '../connection/client-context.tsx';
import { ErrorNote } from '../connection/error-note.tsx';

export function SessionList(props: {
  current?: string | undefined;
  /** Where a session opens: the chat (default) or the sessions view. */
  linkTo?: (session: Session) => Route;
  newChatAgent?: string | undefined;
}) {
  const client = useClient();
  const [search, setSearch] = useState('');
  const sessions = useQuery({
    queryKey: ['sessions', search],
    queryFn: () =>
      client.sessions.list({
        sortBy: 'updatedAt',
        order: 'desc',
        limit: 100,
        ...(search ? { name: search } : {}),
      }),
  });
  const linkTo =
    props.linkTo ??
    ((s: Session) => ({ view: 'chat', agentId: s.agentId, sessionId: s.sessionId }) as Route);
  return (
    <aside className="sidebar" aria-label="Sessions">
      <div className="row">
        <h2>Sessions</h2>
        <button
          type="button"
          onClick={() =>
            navigate({
              view: 'chat',
              ...(props.newChatAgent ? { agentId: props.newChatAgent } : {}),
            })
          }
        >
          New chat
        </button>
      </div>
      <label className="sr-only" htmlFor="session-search">
        Search sessions
      </label>
      <input
        id="session-search"
        type="search"
        placeholder="Search sessions"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      {sessions.isError && <ErrorNote error={sessions.error} />}
      <ul className="session-list">
        {sessions.data?.items.map((session) => (
          <SessionItem
            key={session.sessionId}
            session={session}
            href={hrefOf(linkTo(session))}
            current={session.sessionId === props.current}
          />
        ))}
      </ul>
      {sessions.data?.items.length === 0 && <p className="muted">No sessions yet.</p>}
    </aside>
  );
}

function SessionItem(props: { session: Session; href: string; current: boolean }) {
  const { session } = props;
  const client = useClient();
  const queries = useQueryClient();
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm'>('view');
  const [name, setName] = useState(session.name);
  const refresh = () => queries.invalidateQueries({ queryKey: ['sessions'] });
  const rename = useMutation({
    mutationFn: (next: string) =>
      client.sessions.rename({ sessionId: session.sessionId, name: next }),
    onSuccess: () => {
      setMode('view');
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => client.sessions.delete({ sessionId: session.sessionId }),
    onSuccess: () => {
      void refresh();
      if (props.current) navigate({ view: 'chat', agentId: session.agentId });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) rename.mutate(name.trim());
  };
  if (mode === 'rename') {
    return (
      <li>
        <form onSubmit={submit} className="row">
          <label className="sr-only" htmlFor={`name-${session.sessionId}`}>
            New name
          </label>
          <input
            id={`name-${session.sessionId}`}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit">Save</button>
          <button type="button" className="secondary" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li className={props.current ? 'current' : undefined}>
      <a href={props.href} aria-current={props.current ? 'page' : undefined}>
        {session.name || session.sessionId}
        <span className="muted"> · {session.agentId}</span>
      </a>
      {mode === 'confirm' ? (
        <span className="row">
          <button type="button" className="danger" onClick={() => remove.mutate()}>
            Delete “{session.name}”
          </button>
          <button type="button" className="secondary" onClick={() => setMode('view')}>
            Keep
          </button>
        </span>
      ) : (
        <span className="row actions">
          <button type="button" className="link" onClick={() => setMode('rename')}>
            Rename
          </button>
          <button type="button" className="link" onClick={() => setMode('confirm')}>
            Delete
          </button>
        </span>
      )}
      {(rename.isError || remove.isError) && <ErrorNote error={rename.error ?? remove.error} />}
    </li>
  );
}
