// The session a procedure reads, found or refused: NOT_FOUND for an id the
// user does not have, whether it never existed or is another user's, so the
// answer says nothing about other users' sessions.
import { AgentRpcError, type Session, type SessionKey, type Store } from '@agentrpc/core';

export async function existingSession(store: Store, key: SessionKey): Promise<Session> {
  const session = await store.getSession(key);
  if (!session) throw new AgentRpcError('NOT_FOUND', `session ${key.sessionId} not found`);
  return session;
}
