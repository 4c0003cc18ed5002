// The response cache (the OpenAI facade's idempotent replies): one document
// per user and key, replaced on each write and ignored once expired.
import type { CachedResponse, CacheKey } from '@agentrpc/core';
import type { Collections } from './collections.ts';
import { docId } from './doc-ids.ts';

export async function findCachedResponse(
  c: Collections,
  key: CacheKey,
): Promise<CachedResponse | null> {
  const doc = await c.cache.findOne({ _id: docId(key.userId, key.key) });
  return doc && doc.userId === key.userId && doc.expiresAt > Date.now() ? doc.response : null;
}

/** Stores `response` as given: the caller passes a copy of its own. */
export async function replaceCachedResponse(
  c: Collections,
  entry: { key: CacheKey; response: CachedResponse; ttlMs: number },
): Promise<void> {
  const { key, response, ttlMs } = entry;
  const doc = { userId: key.userId, expiresAt: Date.now() + ttlMs, response };
  await c.cache.replaceOne({ _id: docId(key.userId, key.key) }, doc, { upsert: true });
}
