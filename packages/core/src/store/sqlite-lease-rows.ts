// Leases in SQLite: a row per key with its owner and expiry. Taking one is a
// single statement, so two connections (or processes) never both hold a key.
import type { Sql } from './sqlite-connection.ts';
import type { Lease } from './types.ts';

/** Takes the lease when it is free, expired or already the owner's; false when another holds it. */
export function takeLease(sql: Sql, lease: Lease): boolean {
  const now = Date.now();
  const result = sql(
    `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
  ).run(lease.key, lease.owner, now + lease.ttlMs, now);
  return result.changes > 0;
}

/** Pushes the expiry on; false when the owner no longer holds the lease. */
export function extendLease(sql: Sql, lease: Lease): boolean {
  return (
    sql('UPDATE leases SET expires_at = ? WHERE key = ? AND owner = ?').run(
      Date.now() + lease.ttlMs,
      lease.key,
      lease.owner,
    ).changes > 0
  );
}

/** Lets the lease go if the owner holds it. */
export function dropLease(sql: Sql, lease: Omit<Lease, 'ttlMs'>): void {
  sql('DELETE FROM leases WHERE key = ? AND owner = ?').run(lease.key, lease.owner);
}
