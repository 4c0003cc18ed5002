// The credential lives in sessionStorage: it goes with the tab, never into a
// URL, and a closed tab forgets it.
const key = 'agentrpc.credential';

export function savedCredential(): string | null {
  return sessionStorage.getItem(key);
}

export function saveCredential(token: string): void {
  sessionStorage.setItem(key, token);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(key);
}
