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
