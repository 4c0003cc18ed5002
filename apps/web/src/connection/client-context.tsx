// The SDK client every view talks through, made from the signed-in credential,
// and who that credential says the user is. Same origin: the console is served
// by the server it talks to.
import { type AgentRpcClient, AgentRpcClientError, createClient } from '@agentrpc/sdk';
import { createContext, useContext } from 'react';

export interface Account {
  userId: string;
  roles: string[];
  admin: boolean;
  /** Signed in with a key or token (else the server has no auth: the local user). */
  signedIn: boolean;
  signOut(): void;
}

export const ClientContext = createContext<AgentRpcClient | null>(null);
export const AccountContext = createContext<Account | null>(null);

export function makeClient(token: string | null): AgentRpcClient {
  return createClient({ url: window.location.origin, ...(token ? { apiKey: token } : {}) });
}

export function useClient(): AgentRpcClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside ClientContext');
  return client;
}

export function useAccount(): Account {
  const account = useContext(AccountContext);
  if (!account) throw new Error('useAccount outside AccountContext');
  return account;
}

/** The error's code when the SDK threw it (NOT_FOUND, UNAUTHORIZED, …). */
export function codeOf(error: unknown): string | undefined {
  return error instanceof AgentRpcClientError ? error.code : undefined;
}

/** A message a person can read for any failure. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
