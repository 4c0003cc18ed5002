// Routes live in the URL's hash, so any view survives a reload and a link to
// it can be shared (credentials never are: they stay in sessionStorage).
import { useSyncExternalStore } from 'react';

export type Route =
  | { view: 'chat'; agentId?: string; sessionId?: string }
  | { view: 'sessions'; sessionId?: string }
  | { view: 'run'; runId: string; userId?: string }
  | { view: 'memories' }
  | { view: 'admin'; userId?: string; sessionId?: string };

const part = (value: string | undefined) => (value ? decodeURIComponent(value) : undefined);

export function parseRoute(hash: string): Route {
  const [view, a, b] = hash.replace(/^#\/?/, '').split('/');
  switch (view) {
    case 'sessions':
      return { view, ...optional({ sessionId: part(a) }) };
    case 'runs':
      return a ? { view: 'run', runId: part(a) as string, ...optional({ userId: part(b) }) } : chat;
    case 'memories':
      return { view };
    case 'admin':
      return { view, ...optional({ userId: part(a), sessionId: part(b) }) };
    default:
      return { view: 'chat', ...optional({ agentId: part(a), sessionId: part(b) }) };
  }
}

const chat: Route = { view: 'chat' };

function optional<T extends Record<string, string | undefined>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v)) as Partial<T>;
}

const seg = (value: string | undefined) => (value ? `/${encodeURIComponent(value)}` : '');

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'chat':
      return `#/chat${seg(route.agentId)}${route.agentId ? seg(route.sessionId) : ''}`;
    case 'sessions':
      return `#/sessions${seg(route.sessionId)}`;
    case 'run':
      return `#/runs${seg(route.runId)}${seg(route.userId)}`;
    case 'memories':
      return '#/memories';
    case 'admin':
      return `#/admin${seg(route.userId)}${route.userId ? seg(route.sessionId) : ''}`;
  }
}

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const href = hrefOf(route);
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

function subscribe(onChange: () => void) {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
