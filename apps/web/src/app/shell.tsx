// The frame around every view: the navigation, who is signed in, and the view
// the URL names.
import { AdminView } from '../admin/admin-view.tsx';
import { ChatView } from '../chat/chat-view.tsx';
import { useAccount } from '../connection/client-context.tsx';
import { RunInspector } from '../inspector/run-inspector.tsx';
import { MemoriesView } from '../memories/memories-view.tsx';
import { SessionsView } from '../sessions/sessions-view.tsx';
import { hrefOf, type Route, useRoute } from './router.ts';

const links: { label: string; route: Route }[] = [
  { label: 'Chat', route: { view: 'chat' } },
  { label: 'Sessions', route: { view: 'sessions' } },
  { label: 'Memories', route: { view: 'memories' } },
];

export function Shell() {
  const route = useRoute();
  const account = useAccount();
  const all = account.admin
    ? [...links, { label: 'Admin', route: { view: 'admin' } as Route }]
    : links;
  const current = route.view === 'run' ? 'sessions' : route.view;
  return (
    <>
      <header className="top">
        <a className="brand" href="#/chat">
          agentrpc
        </a>
        <nav aria-label="Main">
          {all.map((link) => (
            <a
              key={link.label}
              href={hrefOf(link.route)}
              aria-current={current === link.route.view ? 'page' : undefined}
            >
              {link.label}
            </a>
          ))}
        </nav>
        <span className="who">
          {account.userId}
          {account.signedIn && (
            <button type="button" className="link" onClick={account.signOut}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <View route={route} />
    </>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'chat':
      return <ChatView agentId={route.agentId} sessionId={route.sessionId} />;
    case 'sessions':
      return <SessionsView sessionId={route.sessionId} />;
    case 'run':
      return <RunInspector runId={route.runId} userId={route.userId} />;
    case 'memories':
      return <MemoriesView />;
    case 'admin':
      return <AdminView userId={route.userId} sessionId={route.sessionId} />;
  }
}
