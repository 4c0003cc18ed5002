// Who is calling: the user id and roles taken from the credential, never from input.
import { AgentRpcError } from '@agentrpc/core';

export interface Principal {
  userId: string;
  roles: string[];
}

export const localPrincipal: Principal = { userId: 'local', roles: ['admin'] };

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes('admin');
}

/** The user whose data a listing reads: the caller, or for an admin anyone. */
export function targetUser(principal: Principal, requested: string | undefined): string {
  if (!requested || requested === principal.userId) return principal.userId;
  if (!isAdmin(principal))
    throw new AgentRpcError('FORBIDDEN', "only admins may list another user's data");
  return requested;
}
