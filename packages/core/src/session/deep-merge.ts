// Deep merge for session state: plain objects merge key by key, everything
// else (arrays included) is replaced; `undefined` in the patch deletes a key.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

export function deepMerge(target: PlainObject, patch: PlainObject): PlainObject {
  const out: PlainObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (forbiddenKeys.has(key)) continue;
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key]))
      out[key] = deepMerge(out[key] as PlainObject, value);
    else out[key] = value;
  }
  return out;
}
