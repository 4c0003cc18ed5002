// Leases (a session held by one process while it runs) as documents keyed by
// the lease: taking one is an insert, taking over an expired or own one a
// single conditional update, so two processes can never both hold it.
import type { Lease } from '@agentrpc/core';
import type { Collections } from './collections.ts';
import { isDuplicateKey } from './mongo-errors.ts';

export async function takeLease(c: Collections, lease: Lease): Promise<boolean> {
  const now = Date.now();
  try {
    await c.locks.insertOne({ _id: lease.key, owner: lease.owner, expiresAt: now + lease.ttlMs });
    return true;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  // Taken: take it over only if it is ours already or has expired (one atomic update).
  const doc = await c.locks.findOneAndUpdate(
    { _id: lease.key, $or: [{ owner: lease.owner }, { expiresAt: { $lte: now } }] },
    { $set: { owner: lease.owner, expiresAt: now + lease.ttlMs } },
    { returnDocument: 'after' },
  );
  return doc?.owner === lease.owner;
}

/** False when the lease is no longer this owner's. */
export async function extendLease(c: Collections, lease: Lease): Promise<boolean> {
  const result = await c.locks.updateOne(
    { _id: lease.key, owner: lease.owner },
    { $set: { expiresAt: Date.now() + lease.ttlMs } },
  );
  return result.matchedCount > 0;
}

export async function dropLease(c: Collections, lease: Omit<Lease, 'ttlMs'>): Promise<void> {
  await c.locks.deleteOne({ _id: lease.key, owner: lease.owner });
}
