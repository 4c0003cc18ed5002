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

/**
 * After a try that found the file locked: pauses 1, 2, 4 … 20 ms before each
 * next try until one returns true. `tryOnce` says when it has waited long
 * enough (by returning true, or throwing).
 */
export async function retryAfterPauses(tryOnce: () => boolean): Promise<void> {
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 20)) {
    await sleep(pauseMs);
    if (tryOnce()) return;
  }
}
