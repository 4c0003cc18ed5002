// Turns a bearer credential into a Principal: an API key (compared in constant
// time) or a JWT (HS256 secret or JWKS; issuer, audience and expiry checked).
import { AgentRpcError } from '@agentrpc/core';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { AuthConfig, JwtConfig } from '../config/define-config.ts';
import { localPrincipal, type Principal } from './principal.ts';
import { digestOf, matchesDigest } from './secret-digest.ts';

export type Authenticator = (credential: string | undefined) => Promise<Principal>;

function keyMatcher(config: AuthConfig) {
  const keys = (config.apiKeys ?? []).map((k) => ({
    digest: digestOf(k.key),
    userId: k.userId,
    roles: k.roles ?? [],
  }));
  return (token: string): Principal | undefined => {
    const given = digestOf(token);
    let found: Principal | undefined;
    // Compare against every key so the time taken says nothing about which matched.
    for (const key of keys) {
      if (matchesDigest(given, key.digest)) found = { userId: key.userId, roles: key.roles };
    }
    return found;
  };
}

function jwtVerifier(jwt: JwtConfig) {
  const key = jwt.jwksUrl
    ? createRemoteJWKSet(new URL(jwt.jwksUrl))
    : new TextEncoder().encode(jwt.secret ?? '');
  if (!jwt.jwksUrl && !jwt.secret) throw new Error('auth.jwt needs a secret or a jwksUrl');
  const tolerance = jwt.clockToleranceSeconds ?? 30;
  const options = {
    ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
    ...(jwt.audience ? { audience: jwt.audience } : {}),
    ...(jwt.jwksUrl ? {} : { algorithms: ['HS256'] }),
    ...(jwt.requireExpiry === false ? {} : { requiredClaims: ['exp'] }),
    ...(jwt.maxAgeSeconds === undefined ? {} : { maxTokenAge: jwt.maxAgeSeconds }),
    clockTolerance: tolerance,
  };
  return async (token: string): Promise<Principal> => {
    let payload: JWTPayload;
    try {
      ({ payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, options)
          : await jwtVerify(token, key, options));
    } catch (error) {
      throw new AgentRpcError('UNAUTHORIZED', `invalid token: ${(error as Error).message}`);
    }
    // jose checks an `iat` against maxTokenAge only; one from the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + tolerance) {
      throw new AgentRpcError('UNAUTHORIZED', 'invalid token: issued in the future');
    }
    const userId = payload[jwt.userClaim ?? 'sub'];
    if (typeof userId !== 'string' || !userId) {
      throw new AgentRpcError('UNAUTHORIZED', `token has no "${jwt.userClaim ?? 'sub'}" claim`);
    }
    const roles = payload[jwt.rolesClaim ?? 'roles'];
    return {
      userId,
      roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
    };
  };
}

const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** Builds the authenticator; with no auth configured everyone is the local user. */
export function createAuthenticator(config: AuthConfig | undefined): Authenticator {
  if (!config || (!config.apiKeys?.length && !config.jwt)) return async () => localPrincipal;
  const matchKey = keyMatcher(config);
  const verifyJwt = config.jwt ? jwtVerifier(config.jwt) : undefined;
  return async (credential) => {
    const token = credential?.replace(/^Bearer\s+/i, '').trim();
    if (!token)
      throw new AgentRpcError(
        'UNAUTHORIZED',
        'send an API key or token as "Authorization: Bearer …"',
      );
    const byKey = matchKey(token);
    if (byKey) return byKey;
    if (verifyJwt && looksLikeJwt(token)) return verifyJwt(token);
    throw new AgentRpcError('UNAUTHORIZED', 'unknown API key');
  };
}
