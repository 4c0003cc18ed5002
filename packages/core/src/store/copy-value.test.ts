import { describe, expect, it } from 'vitest';
import { copyValue } from './copy-value.ts';

describe('copyValue', () => {
  it('copies nested objects and arrays so changes to the copy never reach the original', () => {
    const original = { a: 1, nested: { list: [1, { deep: 'x' }], none: null, gone: undefined } };
    const copy = copyValue(original);
    expect(copy).toStrictEqual(original);
    copy.nested.list.push(2);
    (copy.nested.list[1] as { deep: string }).deep = 'changed';
    expect(original.nested.list).toStrictEqual([1, { deep: 'x' }]);
    expect('gone' in copy.nested).toBe(true);
  });

  it('gives dates, maps and typed arrays to structuredClone', () => {
    const original = {
      at: new Date(5),
      tags: new Map([['k', 'v']]),
      bytes: new Uint8Array([1, 2]),
    };
    const copy = copyValue(original);
    expect(copy.at).toBeInstanceOf(Date);
    expect(copy.at).not.toBe(original.at);
    expect(copy.at.getTime()).toBe(5);
    expect(copy.tags.get('k')).toBe('v');
    expect([...copy.bytes]).toStrictEqual([1, 2]);
    expect(copy.bytes).not.toBe(original.bytes);
  });

  it('copies objects without a prototype as plain objects', () => {
    const original = Object.assign(Object.create(null) as Record<string, unknown>, { k: [1] });
    const copy = copyValue(original);
    expect(copy).toStrictEqual({ k: [1] });
    expect(copy.k).not.toBe(original.k);
  });
});
