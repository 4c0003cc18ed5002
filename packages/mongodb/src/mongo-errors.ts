// Turns driver failures into AgentRpcErrors: duplicate keys into CONFLICT,
// everything else into STORE_ERROR with the cause, never into "not found".
import { AgentRpcError } from '@agentrpc/core';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/** True when a bulk insert failed only on documents that were there already. */
export function isOnlyDuplicates(error: unknown): boolean {
  return duplicateIndexes(error) !== undefined;
}

/** The indexes of the documents a bulk insert found there already, when that is all that failed. */
export function duplicateIndexes(error: unknown): Set<number> | undefined {
  const writeErrors = error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
  if (writeErrors.length === 0 || writeErrors.some((e) => e.code !== 11000)) return undefined;
  return new Set(writeErrors.map((e) => e.index));
}

export function toStoreError(error: unknown, action: string): AgentRpcError {
  if (error instanceof AgentRpcError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new AgentRpcError('STORE_ERROR', `MongoDB failed to ${action}: ${detail}`, {
    cause: error,
  });
}

/** Runs `operation`, reporting any failure as an AgentRpcError. */
export async function guarded<T>(action: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStoreError(error, action);
  }
}
