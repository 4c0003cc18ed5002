// Deep copies of the values stores keep: trees of plain objects, arrays and
// primitives, as runs, events and sessions are. Walking them directly costs a
// fraction of structuredClone, which serializes and parses every value; the
// in-memory store copies every event it takes in and gives out.

/** A deep copy of `value`; objects that are not plain (dates, maps, typed arrays) go through structuredClone. */
export function copyValue<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyValue) as T;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    copy[key] = copyValue((value as Record<string, unknown>)[key]);
  return copy as T;
}
