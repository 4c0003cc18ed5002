import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from './authenticate.ts';
import { localPrincipal, targetUser } from './principal.ts';

describe('API keys', () => {
  const authenticate = createAuthenticator({
    apiKeys: [
      { key: 'key-a', userId: 'a', roles: ['admin'] },
      { key: 'key-b', userId: 'b' },
    ],
  });

  it('maps each key to its user and roles', async () => {
    expect(await authenticate('Bearer key-a')).toEqual({ userId: 'a', roles: ['admin'] });
    expect(await authenticate('Bearer key-b')).toEqual({ userId: 'b', roles: [] });
  });

  it('refuses a missing or unknown key with UNAUTHORIZED', async () => {
    await expect(authenticate(undefined)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(authenticate('Bearer key-c')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(authenticate('Bearer key-a ')).resolves.toMatchObject({ userId: 'a' });
    await expect(authenticate('Bearer key-')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('without auth configured everyone is the local user', async () => {
    expect(await createAuthenticator(undefined)(undefined)).toBe(localPrincipal);
  });

  it('lets only admins read another user', () => {
    expect(targetUser({ userId: 'a', roles: ['admin'] }, 'b')).toBe('b');
    expect(targetUser({ userId: 'b', roles: [] }, 'b')).toBe('b');
    expect(() => targetUser({ userId: 'b', roles: [] }, 'a')).toThrow(/only admins/);
  });
});

describe('JWT from a JWKS URL', () => {
  let jwksUrl = '';
  let close: () => void;
  let sign: (
    claims: Record<string, unknown>,
    options?: { issuer?: string; expires?: string },
  ) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    close = () => server.close();
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(options.issuer ?? 'https://issuer.test')
        .setAudience('agentrpc')
        .setIssuedAt()
        .setExpirationTime(options.expires ?? '5m')
        .sign(privateKey);
  });
  afterAll(() => close());

  it('verifies signature, issuer, audience and expiry; takes user and roles from claims', async () => {
    const authenticate = createAuthenticator({
      jwt: { jwksUrl, issuer: 'https://issuer.test', audience: 'agentrpc', userClaim: 'uid' },
    });
    const token = await sign({ uid: 'dora', roles: ['admin', 7] });
    expect(await authenticate(`Bearer ${token}`)).toEqual({ userId: 'dora', roles: ['admin'] });
    await expect(
      authenticate(`Bearer ${await sign({ uid: 'dora' }, { issuer: 'https://evil.test' })}`),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(
      authenticate(`Bearer ${await sign({ uid: 'dora' }, { expires: '-1m' })}`),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/exp/) });
    await expect(authenticate(`Bearer ${await sign({ sub: 'no-uid' })}`)).rejects.toMatchObject({
      message: expect.stringMatching(/"uid" claim/),
    });
  });
});
