import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.ts';
import { acquireSessionLease, sessionLeaseKey } from './session-lease.ts';

describe('session lease', () => {
  it('is exclusive, renewed while held, and free after release', async () => {
    const store = new MemoryStore();
    const lost: unknown[] = [];
    const base = {
      store,
      userId: 'u',
      sessionId: 's1',
      ttlMs: 120,
      onLost: (e: unknown) => lost.push(e),
    };
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
});
