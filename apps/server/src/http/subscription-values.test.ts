import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import {
  connectionParamsFromQuery,
  subscriptionSerializer,
  subscriptionText,
} from './subscription-values.ts';

const values: unknown[] = [
  { id: 'r:2', data: { type: 'run.content', runId: 'r', seq: 2, createdAt: 5, delta: 'héllo' } },
  { type: 'run.completed', output: { createdAt: new Date(0), parsed: { n: 1n } } },
  { x: undefined, y: Number.NaN, z: -0, w: Infinity },
  { deep: { a: { b: { c: 1 } } } },
  Object.assign(Object.create(null), { a: 1 }),
  [1, 'two'],
  'text',
  null,
];

describe('subscriptionSerializer', () => {
  it('gives what superjson gives, shortcut or not', () => {
    const serialize = subscriptionSerializer(
      initTRPC.create({ transformer: superjson })._config.transformer,
    );
    for (const value of values) {
      expect(serialize(value)).toEqual(superjson.serialize(value));
    }
  });

  it('leaves a transformer that does not wrap values to itself', () => {
    const serialize = subscriptionSerializer(initTRPC.create()._config.transformer);
    expect(serialize({ a: 1 })).toEqual({ a: 1 });
  });
});

describe('subscriptionText', () => {
  it('gives the JSON text of what superjson gives, shortcut or not', () => {
    const text = subscriptionText(initTRPC.create({ transformer: superjson })._config.transformer);
    for (const value of values) {
      expect(text(value)).toBe(JSON.stringify(superjson.serialize(value)));
    }
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
