// Who is calling: the user id and roles taken from the credential, never from input.

export interface Principal {
  userId: string;
  roles: string[];
}

export const localPrincipal: Principal = { userId: 'local', roles: ['admin'] };

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes('admin');
}
