import { tracked } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import {
  maxBatch,
  parseClientMessage,
  readMessage,
  serializeResponse,
  subscriptionDataText,
} from './ws-messages.ts';

const transformer = { input: superjson, output: superjson };
const plain = { serialize: (value: unknown) => value, deserialize: (value: unknown) => value };

describe('parseClientMessage', () => {
  it('reads calls with their input deserialized, and subscription.stop', () => {
    const input = superjson.serialize({ at: new Date(0) });
    expect(
      parseClientMessage(
        { id: 1, method: 'subscription', params: { path: 'a.b', input, lastEventId: 'r:3' } },
        transformer,
      ),
    ).toEqual({
      id: 1,
      method: 'subscription',
      params: { path: 'a.b', input: { at: new Date(0) }, lastEventId: 'r:3' },
    });
    expect(parseClientMessage({ id: 'x', method: 'subscription.stop' }, transformer)).toEqual({
      id: 'x',
      method: 'subscription.stop',
    });
    expect(
      parseClientMessage({ method: 'query', params: { path: 'p' } }, transformer).id,
    ).toBeNull();
  });

  it('throws on any other shape', () => {
    for (const raw of [
      null,
      'text',
      { id: 1, method: 'nope', params: { path: 'p' } },
      { id: 1, method: 'query' },
      { id: 1, method: 'query', params: { path: 3 } },
      { id: 1, method: 'query', params: { path: 'p', lastEventId: 3 } },
      { id: {}, method: 'query', params: { path: 'p' } },
      { id: 1, jsonrpc: '1.0', method: 'query', params: { path: 'p' } },
    ]) {
      expect(() => parseClientMessage(raw, transformer)).toThrow();
    }
  });
});

describe('readMessage', () => {
  const options = { maxDepth: 8, transformer: { input: plain, output: plain } };
  const query = (id: number) => ({ id, method: 'query', params: { path: 'p', input: 1 } });

  it('reads a call, a batch of calls and stops, each part on its own', () => {
    expect(readMessage(JSON.stringify(query(1)), options)).toEqual([
      { call: { id: 1, jsonrpc: undefined, type: 'query', path: 'p', input: 1 } },
    ]);
    const parts = readMessage(
      JSON.stringify([query(2), { id: 'x', method: 'subscription.stop' }, { id: 3 }]),
      options,
    );
    expect(parts[0]).toEqual({
      call: { id: 2, jsonrpc: undefined, type: 'query', path: 'p', input: 1 },
    });
    expect(parts[1]).toEqual({ stop: 'x' });
    expect(parts[2]).toMatchObject({ unreadable: { code: 'PARSE_ERROR' } });
  });

  it('puts the last event id into a subscription input', () => {
    const [part] = readMessage(
      JSON.stringify({
        id: 1,
        method: 'subscription',
        params: { path: 's', input: { runId: 'r' }, lastEventId: 'r:4' },
      }),
      options,
    );
    expect(part).toMatchObject({ call: { input: { runId: 'r', lastEventId: 'r:4' } } });
  });

  it('throws for a message that cannot be read as a whole', () => {
    const deep = `${'['.repeat(9)}${']'.repeat(9)}`;
    expect(() => readMessage(deep, options)).toThrow(/at most 8 levels deep/);
    expect(() => readMessage('{not json', options)).toThrow(
      expect.objectContaining({ code: 'PARSE_ERROR' }),
    );
    const batch = JSON.stringify(Array.from({ length: maxBatch + 1 }, (_, i) => query(i)));
    expect(() => readMessage(batch, options)).toThrow(`at most ${maxBatch} calls`);
    expect(
      readMessage(JSON.stringify(Array.from({ length: maxBatch }, (_, i) => query(i))), options),
    ).toHaveLength(maxBatch);
  });
});

describe('serializeResponse', () => {
  it('serializes data and errors with the transformer, and leaves the rest', () => {
    const at = new Date(0);
    expect(
      serializeResponse({ id: 1, result: { type: 'data', data: { at } } }, transformer),
    ).toEqual({ id: 1, result: { type: 'data', data: superjson.serialize({ at }) } });
    expect(serializeResponse({ id: 1, error: { at } }, transformer)).toEqual({
      id: 1,
      error: superjson.serialize({ at }),
    });
    expect(serializeResponse({ id: 1, result: { type: 'started' } }, transformer)).toEqual({
      id: 1,
      result: { type: 'started' },
    });
  });
});

describe('subscriptionDataText', () => {
  it('gives the text of the data response serializeResponse gives, tracked or not', () => {
    const event = { type: 'run.content', seq: 2, delta: 'hi "there"' };
    const values = [event, { at: new Date(0) }, 'text', null];
    for (const call of [{ id: 7 }, { id: 'sub-1', jsonrpc: '2.0' as const }]) {
      const text = subscriptionDataText(call, transformer);
      for (const value of values) {
        const plain = { ...call, result: { type: 'data' as const, data: value } };
        expect(text(value)).toBe(JSON.stringify(serializeResponse(plain, transformer)));
        const envelope = tracked('r:2', value);
        const withId = {
          ...call,
          result: { type: 'data' as const, id: 'r:2', data: { id: 'r:2', data: value } },
        };
        expect(text(envelope)).toBe(JSON.stringify(serializeResponse(withId, transformer)));
      }
    }
  });
});
