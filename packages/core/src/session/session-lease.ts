// One active run per session: a lease in the store, renewed while the run
// lives and released when it ends, so a crashed process frees it by expiry.
import { AgentRpcError } from '../errors.ts';
import type { Store } from '../store/types.ts';

/** The lease key of a user's session (ids are per user, so the key carries the user). */
export function sessionLeaseKey(userId: string, sessionId: string): string {
  return `session:${JSON.stringify([userId, sessionId])}`;
}

export interface SessionLeaseOptions {
  store: Store;
  userId: string;
  sessionId: string;
  owner: string;
  ttlMs: number;
  /** Poll until free (up to timeoutMs) instead of failing with CONFLICT. */
  wait?: boolean | { timeoutMs: number };
  signal?: AbortSignal;
  /** Called when a renewal finds the lease taken or fails. */
  onLost: (error: AgentRpcError) => void;
}

export interface SessionLease {
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function acquireSessionLease(options: SessionLeaseOptions): Promise<SessionLease> {
  const { store, owner, ttlMs } = options;
  const key = sessionLeaseKey(options.userId, options.sessionId);
  const waitMs = options.wait ? (options.wait === true ? 60_000 : options.wait.timeoutMs) : 0;
  const deadline = Date.now() + waitMs;
  /** Until when the lease is surely ours: the ttl from when it was last taken or renewed (asked for). */
  let heldUntil = 0;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    const askedAt = Date.now();
    if (await store.acquireLease({ key, owner, ttlMs })) {
      heldUntil = askedAt + ttlMs;
      break;
    }
    options.signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      throw new AgentRpcError(
        'CONFLICT',
        `Session ${options.sessionId} already has an active run; wait for it to end or cancel it`,
      );
    }
    await sleep(delay);
  }
  const renewEveryMs = Math.max(50, ttlMs / 3);
  /** Lost or released: nothing more to report. */
  let over = false;
  const lose = (error: AgentRpcError) => {
    if (over) return;
    over = true;
    clearInterval(timer);
    options.onLost(error);
  };
  const timer = setInterval(() => {
    const askedAt = Date.now();
    store.renewLease({ key, owner, ttlMs }).then(
      (held) => {
        if (held) heldUntil = Math.max(heldUntil, askedAt + ttlMs);
        else lose(new AgentRpcError('CONFLICT', `Lost the lease on session ${options.sessionId}`));
      },
      (error) => {
        // A store that failed once may answer the next renewal: the lease is
        // still this run's until its ttl runs out, so only a renewal that
        // could not come in time any more loses it.
        if (Date.now() + renewEveryMs < heldUntil) return;
        lose(
          new AgentRpcError('STORE_ERROR', `Could not renew the session lease: ${error}`, {
            cause: error,
          }),
        );
      },
    );
  }, renewEveryMs);
  timer.unref();
  return {
    release: async () => {
      over = true;
      clearInterval(timer);
      await store.releaseLease({ key, owner });
    },
  };
}
