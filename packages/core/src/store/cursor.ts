// Opaque cursors for keyset pagination: (sort value, id) of the last item seen.
import { AgentRpcError } from '../errors.ts';

export interface CursorPosition {
  value: number;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.value, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'number' && typeof id === 'string') return { value, id };
  } catch {}
  throw new AgentRpcError('BAD_INPUT', 'cursor is not one this server returned');
}

export function clampLimit(limit: number | undefined, fallback = 20, max = 100): number {
  if (limit === undefined) return fallback;
  return Math.max(1, Math.min(max, Math.floor(limit)));
}

/**
 * A page of sessions from `limit + 1` read in order: the extra one only says
 * there is more, and the cursor points after the last one kept.
 */
export function pageOfSessions<T extends { sessionId: string }>(
  rows: T[],
  limit: number,
  sortValue: (item: T) => number,
): { items: T[]; nextCursor?: string } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    ...(rows.length > limit && last
      ? { nextCursor: encodeCursor({ value: sortValue(last), id: last.sessionId }) }
      : {}),
  };
}
