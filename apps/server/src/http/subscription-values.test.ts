import { initTRPC } from '@trpc/server';
import superjson, { type SuperJSONResult } from 'superjson';
import { describe, expect, it } from 'vitest';
import { connectionParamsFromQuery, subscriptionText } from './subscription-values.ts';

/** `depth` arrays, one inside the other, around a string. */
function nested(depth: number): unknown {
  return depth === 0 ? 'deep' : [nested(depth - 1)];
}

/** What `work` gives, or the message it throws: superjson refuses some values, and so must the shortcut. */
function outcome(work: () => unknown): unknown {
  try {
    return { value: work() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const values: unknown[] = [
  { id: 'r:2', data: { type: 'run.content', runId: 'r', seq: 2, createdAt: 5, delta: 'héllo' } },
  { type: 'run.completed', output: { createdAt: new Date(0), parsed: { n: 1n } } },
  { x: undefined, y: Number.NaN, z: -0, w: Infinity },
  { deep: { a: { b: { c: 1 } } } },
  Object.assign(Object.create(null), { a: 1 }),
  [1, 'two'],
  {
    type: 'run.started',
    run: { input: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
  },
  { list: [1, undefined, 3] },
  { holes: Object.assign(new Array(3), { 0: 1, 2: 3 }) },
  { list: [{ at: new Date(0) }] },
  nested(20),
  nested(40),
  JSON.parse('{"__proto__": {"a": 1}, "b": 2}'),
  { m: new Map([['a', 1]]), s: new Set([1]) },
  'text',
  null,
];

describe('subscriptionText', () => {
  it('gives the JSON text of what superjson gives, shortcut or not', () => {
    const text = subscriptionText(initTRPC.create({ transformer: superjson })._config.transformer);
    for (const value of values) {
      expect(outcome(() => text(value))).toEqual(
        outcome(() => JSON.stringify(superjson.serialize(value))),
      );
    }
  });

  it('gives a value holding one object twice back equal, as two copies', () => {
    const text = subscriptionText(initTRPC.create({ transformer: superjson })._config.transformer);
    const usage = { tokens: 3 };
    const value = { type: 'run.completed', usage, totals: [usage] };
    const back = superjson.deserialize(JSON.parse(text(value)) as SuperJSONResult) as typeof value;
    expect(back).toEqual(value);
    expect(back.totals[0]).not.toBe(back.usage);
  });

  it('leaves a transformer that does not wrap values to itself', () => {
    const text = subscriptionText(initTRPC.create()._config.transformer);
    expect(text({ a: 1 })).toBe('{"a":1}');
  });
});

describe('connectionParamsFromQuery', () => {
  it('takes a JSON object of strings, or null', () => {
    expect(connectionParamsFromQuery('{"authorization":"Bearer k"}')).toEqual({
      authorization: 'Bearer k',
    });
    expect(connectionParamsFromQuery('null')).toBeNull();
  });

  it('refuses anything else with a client error', () => {
    expect(() => connectionParamsFromQuery('{nope')).toThrow(
      expect.objectContaining({ code: 'PARSE_ERROR' }),
    );
    for (const text of ['[]', '"k"', '{"a":1}', '{"a":{"b":"c"}}']) {
      expect(() => connectionParamsFromQuery(text)).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
    }
  });
});
