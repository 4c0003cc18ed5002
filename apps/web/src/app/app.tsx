// Who is here decides what shows: the sign-in form, or the console. Without
// auth on the server, account.me answers at once and the local user is in.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { forgetCredential, saveCredential, savedCredential } from '../auth/credentials.ts';
import { SignIn } from '../auth/sign-in.tsx';
import {
  AccountContext,
  ClientContext,
  codeOf,
  makeClient,
  messageOf,
} from '../connection/client-context.tsx';
import { Shell } from './shell.tsx';

export function App() {
  const [token, setToken] = useState(savedCredential);
  const client = useMemo(() => makeClient(token), [token]);
  const queries = useQueryClient();
  const me = useQuery({ queryKey: ['me', token], queryFn: () => client.account.me() });

  const useToken = (next: string | null) => {
    if (next) saveCredential(next);
    else forgetCredential();
    queries.clear(); // nothing of one user's data may show for the next
    setToken(next);
  };

  if (me.isPending) return <p className="loading">Connecting…</p>;
  if (me.isError) {
    if (codeOf(me.error) === 'UNAUTHORIZED') {
      return <SignIn refused={token !== null} onSignIn={useToken} />;
    }
    return (
      <main className="sign-in">
        <p role="alert" className="error">
          Could not reach the server: {messageOf(me.error)}
        </p>
        <button type="button" onClick={() => void me.refetch()}>
          Try again
        </button>
      </main>
    );
  }
  const account = { ...me.data, signedIn: token !== null, signOut: () => useToken(null) };
  return (
    <ClientContext.Provider value={client}>
      <AccountContext.Provider value={account}>
        <Shell />
      </AccountContext.Provider>
    </ClientContext.Provider>
  );
}
