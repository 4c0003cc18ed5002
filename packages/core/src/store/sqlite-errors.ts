// How the SQLite store reads the driver's failures: a file locked by another
// connection, which is waited for, and everything else, reported as STORE_ERROR.
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
