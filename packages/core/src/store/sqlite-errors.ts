// How the SQLite store reads the driver's failures: a file locked by another
// connection, which is waited for off the event loop, and everything else,
// reported as STORE_ERROR.
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentRpcError } from '../errors.ts';

/** SQLITE_BUSY, extended codes included: another connection holds the write lock. */
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

export function storeError(action: string, error: unknown): AgentRpcError {
  if (error instanceof AgentRpcError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new AgentRpcError('STORE_ERROR', `SQLite failed to ${action}: ${detail}`, {
    cause: error,
  });
}

/** What a try returns when it found the file locked and there is time left to wait. */
export const stillLocked: unique symbol = Symbol('the file is still locked');

/**
 * After a try that found the file locked: pauses 1, 2, 4 … 20 ms before each
 * next try, until one returns something other than stillLocked (or throws,
 * which is how a try says it has waited long enough).
 */
export async function retryAfterPauses<T>(tryOnce: () => T | typeof stillLocked): Promise<T> {
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 20)) {
    await sleep(pauseMs);
    const result = tryOnce();
    if (result !== stillLocked) return result;
  }
}
