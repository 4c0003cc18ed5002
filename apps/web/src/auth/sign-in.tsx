// Sign in with an API key or a JWT: both go to the server as a bearer token.
import { type FormEvent, useState } from 'react';

export function SignIn(props: { refused: boolean; onSignIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) props.onSignIn(token.trim());
  };
  return (
    <main className="sign-in">
      <h1>agentrpc</h1>
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <label htmlFor="credential">API key or JWT</label>
        <input
          id="credential"
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <p id="sign-in-help" className="muted">
          Kept in this tab only (sessionStorage) and sent as a bearer token.
        </p>
        {props.refused && (
          <p role="alert" className="error">
            The server did not accept that key or token.
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
