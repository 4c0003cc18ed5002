import type { IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { ConnectionAuth, type ConnectionParams } from './ws-connection-auth.ts';

const req = {} as IncomingMessage;
const params = (data: unknown) => JSON.stringify({ method: 'connectionParams', data });

/** A ConnectionAuth whose verdicts are recorded; the key `good` is accepted. */
function recorded(limits = { maxParamsBytes: 200, authTimeoutMs: 5_000 }) {
  const seen: { event: string; detail: unknown }[] = [];
  const auth = new ConnectionAuth<{ key: string }>({
    req,
    limits,
    authenticate: async (_req, given: ConnectionParams) => {
      await delay(5);
      if (given?.key !== 'good') throw new Error('bad key');
      return { key: given.key };
    },
    onOpen: (held) => seen.push({ event: 'open', detail: held }),
    onRefused: (error, held) => seen.push({ event: 'refused', detail: [error.code, held] }),
    onBroken: (error: TRPCError) => seen.push({ event: 'broken', detail: error.code }),
    onTimeout: () => seen.push({ event: 'timeout', detail: undefined }),
  });
  return { auth, seen };
}

describe('ConnectionAuth', () => {
  it('opens on good params and hands back, in order, the calls sent while it checked them', async () => {
    const { auth, seen } = recorded();
    auth.take(params({ key: 'good' }));
    expect(auth.state).toBe('authenticating');
    auth.take('first');
    auth.take('second');
    await delay(30);
    expect(auth.state).toBe('open');
    expect(auth.ctx).toEqual({ key: 'good' });
    expect(seen).toEqual([{ event: 'open', detail: ['first', 'second'] }]);
    auth.dispose();
  });

  it('refuses a wrong key, and a first message that is not connectionParams, with the held calls', async () => {
    const wrong = recorded();
    wrong.auth.take(params({ key: 'bad' }));
    wrong.auth.take('call');
    const other = recorded();
    other.auth.take(JSON.stringify({ id: 1, method: 'query' }));
    await delay(30);
    expect(wrong.auth.state).toBe('refused');
    expect(wrong.seen).toEqual([{ event: 'refused', detail: ['INTERNAL_SERVER_ERROR', ['call']] }]);
    expect(other.seen).toEqual([{ event: 'refused', detail: ['PARSE_ERROR', []] }]);
    wrong.auth.dispose();
    other.auth.dispose();
  });

  it('breaks on params that are too large, or too many calls held', async () => {
    const large = recorded();
    large.auth.take(params({ key: 'x'.repeat(300) }));
    expect(large.seen).toEqual([{ event: 'broken', detail: 'PAYLOAD_TOO_LARGE' }]);
    const many = recorded();
    many.auth.take(params({ key: 'good' }));
    for (let i = 0; i < 101; i++) many.auth.take('call');
    expect(many.seen).toEqual([{ event: 'broken', detail: 'TOO_MANY_REQUESTS' }]);
    await delay(30);
    large.auth.dispose();
    many.auth.dispose();
  });

  it('times out a connection that never authenticates, and not one that did', async () => {
    const silent = recorded({ maxParamsBytes: 200, authTimeoutMs: 20 });
    const prompt = recorded({ maxParamsBytes: 200, authTimeoutMs: 20 });
    prompt.auth.settle({ ok: true, ctx: { key: 'good' } });
    await delay(50);
    expect(silent.seen).toEqual([{ event: 'timeout', detail: undefined }]);
    expect(prompt.seen).toEqual([{ event: 'open', detail: [] }]);
  });
});
