// The response cache in SQLite: a row per user and key, with its expiry.
// Expired rows are not read, and each write deletes them.
import { dataOf, type Sql } from './sqlite-connection.ts';
import type { CachedResponse, CacheKey } from './types.ts';

export function readCachedResponse(sql: Sql, key: CacheKey): CachedResponse | null {
  const row = sql(
    'SELECT data FROM response_cache WHERE user_id = ? AND key = ? AND expires_at > ?',
  ).get(key.userId, key.key, Date.now());
  return row ? dataOf<CachedResponse>(row) : null;
}

/** `data` is the response's JSON. */
export function writeCachedResponse(
  sql: Sql,
  entry: { key: CacheKey; data: string; ttlMs: number },
): void {
  const { key, data, ttlMs } = entry;
  sql(
    `INSERT INTO response_cache (user_id, key, expires_at, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, key) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data`,
  ).run(key.userId, key.key, Date.now() + ttlMs, data);
  sql('DELETE FROM response_cache WHERE expires_at <= ?').run(Date.now());
}
