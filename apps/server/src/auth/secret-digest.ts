// Comparing a secret a caller sent with a configured one: both as SHA-256
// digests (equal length whatever was sent), compared in constant time, so
// the time taken says nothing about how much of the secret matched.
import { createHash, timingSafeEqual } from 'node:crypto';

export type SecretDigest = Buffer;

export function digestOf(secret: string): SecretDigest {
  return createHash('sha256').update(secret).digest();
}

export function matchesDigest(given: SecretDigest, expected: SecretDigest): boolean {
  return timingSafeEqual(given, expected);
}
