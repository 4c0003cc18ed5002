// What both subscription transports (SSE and WebSocket) do alike: fold a
// client's lastEventId into the input, and serialize what a subscription
// yields with the router's transformer, with a shortcut for plain JSON values.
// Nearly every event of a run is one (content deltas: strings and numbers; a
// run's start and end: nested objects and arrays of them); superjson
// serializes such a value as `{ json: value }`, but walks it to find that out,
// building annotations on the way, and the walk was a large share of a
// stream's cost. Whether the shortcut holds is checked once against the
// transformer itself, so another transformer simply never takes it.
import { TRPCError } from '@trpc/server';
import type { CombinedTransformer } from './transport-config.ts';

/** How deep a value may nest and still take the shortcut; deeper ones go through the transformer. */
const plainDepth = 32;

/**
 * A string, a finite number other than -0, a boolean, null, or a plain object
 * or an array (without holes) of those, nested at most `depth` deep: a value
 * whose JSON text is all there is to it. (An object it holds twice arrives as
 * two equal copies, where superjson would note the reference and rebuild one
 * object: the values a client reads are equal either way.)
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth === 0) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!isPlainJson(value[i], depth - 1)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        // A key that would set the prototype where the walk rebuilds the object.
        if (key === '__proto__') return false;
        if (!isPlainJson((value as Record<string, unknown>)[key], depth - 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Whether `transformer` serializes a plain JSON value as `{ json: value }`, as superjson does. */
function wrapsPlainJson(transformer: CombinedTransformer): boolean {
  const sample = {
    id: 'r:1',
    data: { type: 'run.content', seq: 1, delta: 'x', ok: true, no: null, list: [1, { a: ['b'] }] },
  };
  return JSON.stringify(transformer.output.serialize(sample)) === JSON.stringify({ json: sample });
}

/**
 * Returns `JSON.stringify(transformer.output.serialize(value))`: for a plain
 * value, its JSON put in the wrapper's text, without the wrapper object (both
 * transports write text per event).
 */
export function subscriptionText(transformer: CombinedTransformer): (value: unknown) => string {
  const wraps = wrapsPlainJson(transformer);
  return (value) =>
    wraps && isPlainJson(value, plainDepth)
      ? `{"json":${JSON.stringify(value)}}`
      : JSON.stringify(transformer.output.serialize(value));
}

/** The input with `lastEventId` folded in, as tRPC does: into an object, or as the whole input when there is none. */
export function withLastEventId(input: unknown, lastEventId: string | undefined): unknown {
  if (lastEventId === undefined) return input;
  if (typeof input === 'object' && input !== null) return { ...input, lastEventId };
  return input ?? { lastEventId };
}

/** Connection params as a client sent them: a JSON object of strings, or null. */
export function connectionParamsFrom(value: unknown): Record<string, string | undefined> | null {
  if (value === null || value === undefined) return null;
  const values = typeof value === 'object' && !Array.isArray(value) ? Object.values(value) : [0];
  if (values.some((item) => typeof item !== 'string')) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'connectionParams must be a JSON object of strings',
    });
  }
  return value as Record<string, string>;
}

/** The `connectionParams` query parameter (browser SSE), JSON-encoded. */
export function connectionParamsFromQuery(text: string): Record<string, string | undefined> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'connectionParams is not JSON', cause });
  }
  return connectionParamsFrom(parsed);
}
