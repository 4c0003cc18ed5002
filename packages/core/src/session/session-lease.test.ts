import { describe, expect, it } from 'vitest';
import type { AgentRpcError } from '../errors.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { acquireSessionLease, sessionLeaseKey } from './session-lease.ts';

/** A lease's options but its owner, on `store`, and the losses it reports. */
function leaseOn(store: MemoryStore, options: { sessionId: string; ttlMs: number }) {
  const lost: AgentRpcError[] = [];
  const base = { store, userId: 'u', ...options, onLost: (e: AgentRpcError) => lost.push(e) };
  return { base, lost };
}

describe('session lease', () => {
  it('is exclusive, renewed while held, and free after release', async () => {
    const { base, lost } = leaseOn(new MemoryStore(), { sessionId: 's1', ttlMs: 120 });
    const first = await acquireSessionLease({ ...base, owner: 'run-1' });
    await expect(acquireSessionLease({ ...base, owner: 'run-2' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // Renewal keeps it past its first ttl.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(acquireSessionLease({ ...base, owner: 'run-2' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await first.release();
    const second = await acquireSessionLease({ ...base, owner: 'run-2' });
    await second.release();
    expect(lost).toEqual([]);
  });

  it('a holder that stops renewing loses it after the ttl, and hears so', async () => {
    const store = new MemoryStore();
    const lost: { code: string }[] = [];
    const holder = await acquireSessionLease({
      store,
      userId: 'u',
      sessionId: 's',
      owner: 'a',
      ttlMs: 60,
      onLost: (e) => lost.push(e),
    });
    // Another process takes the lease over as if `a` had died (its lease expired).
    await store.releaseLease({ key: sessionLeaseKey('u', 's'), owner: 'a' });
    await store.acquireLease({ key: sessionLeaseKey('u', 's'), owner: 'b', ttlMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lost[0]).toMatchObject({ code: 'CONFLICT' });
    await holder.release();
    // Releasing a lost lease leaves the new owner's hold alone.
    expect(
      await store.acquireLease({ key: sessionLeaseKey('u', 's'), owner: 'c', ttlMs: 10 }),
    ).toBe(false);
  });

  it('waits for a busy session when asked', async () => {
    const store = new MemoryStore();
    const base = { store, userId: 'u', sessionId: 's', ttlMs: 5000, onLost: () => {} };
    const first = await acquireSessionLease({ ...base, owner: 'a' });
    setTimeout(() => void first.release(), 50);
    const second = await acquireSessionLease({ ...base, owner: 'b', wait: { timeoutMs: 2000 } });
    await second.release();
  });
  it('rides out a renewal the store fails, while the lease is still its own', async () => {
    const store = new MemoryStore();
    let failures = 1;
    const renewLease = store.renewLease.bind(store);
    store.renewLease = (lease) =>
      failures-- > 0 ? Promise.reject(new Error('blip')) : renewLease(lease);
    const { base, lost } = leaseOn(store, { sessionId: 's', ttlMs: 600 });
    const holder = await acquireSessionLease({ ...base, owner: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 900)); // the failed renewal and those after it
    expect(lost).toEqual([]);
    await expect(acquireSessionLease({ ...base, owner: 'b' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await holder.release();
  });

  it('gives the lease up once renewals can no longer come in time, and says so once', async () => {
    const store = new MemoryStore();
    store.renewLease = () => Promise.reject(new Error('store down'));
    const { base, lost } = leaseOn(store, { sessionId: 's', ttlMs: 600 });
    const holder = await acquireSessionLease({ ...base, owner: 'a' });
    // The first renewal (at 200 ms) fails with 400 ms of the lease left: not lost yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lost).toEqual([]);
    // The second (at 400 ms) could be followed only when the lease has run out.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(lost).toEqual([expect.objectContaining({ code: 'STORE_ERROR' })]);
    await holder.release();
  });
});
