// tRPC's WebSocket protocol at the message level, against a real server: what
// a client that is not ours may send, including what it should not.
import { once } from 'node:events';
import { Agent, DemoModel, MemoryStore } from '@agentrpc/core';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AgentRpcServer, startServer } from './create-server.ts';

interface Reply {
  id: string | number | null;
  result?: { type: string; id?: string; data?: unknown };
  error?: { json: { message: string; data: { code: string } } };
}

/** A raw connection that collects every reply. */
async function connect(url: string, query = '') {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc${query}`, {
    headers: { authorization: 'Bearer key-alice' },
  });
  const replies: (Reply | string)[] = [];
  ws.on('message', (data) => {
    const text = data.toString();
    replies.push(text === 'PONG' || text === 'PING' ? text : (JSON.parse(text) as Reply));
  });
  await once(ws, 'open');
  const until = async (done: (replies: (Reply | string)[]) => boolean) => {
    await expect.poll(() => done(replies), { timeout: 5_000 }).toBe(true);
    return replies;
  };
  return { ws, replies, until };
}

const byId = (id: string | number) => (reply: Reply | string) =>
  typeof reply !== 'string' && reply.id === id;

describe('the WebSocket protocol', () => {
  let server: AgentRpcServer;
  beforeAll(async () => {
    const agents = [new Agent({ id: 'slow', model: new DemoModel({ chunkDelayMs: 20 }) })];
    server = await startServer(
      {
        store: new MemoryStore(),
        agents,
        auth: { apiKeys: [{ key: 'key-alice', userId: 'alice' }] },
      },
      { port: 0 },
    );
  });
  afterAll(() => server.close(100));

  it('answers queries and mutations, batched or not, and PING with PONG', async () => {
    const { ws, until } = await connect(server.url);
    ws.send('PING');
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'query',
        params: { path: 'agents.list', input: superjson.serialize(undefined) },
      }),
    );
    ws.send(
      JSON.stringify([
        {
          id: 2,
          method: 'query',
          params: { path: 'agents.get', input: superjson.serialize({ agentId: 'slow' }) },
        },
        {
          id: 3,
          method: 'query',
          params: { path: 'sessions.list', input: superjson.serialize({}) },
        },
      ]),
    );
    const replies = await until(
      (r) => r.includes('PONG') && [1, 2, 3].every((id) => r.some(byId(id))),
    );
    const list = replies.find(byId(1)) as Reply;
    expect(superjson.deserialize(list.result?.data as never)).toEqual([
      expect.objectContaining({ id: 'slow' }),
    ]);
    expect(
      superjson.deserialize((replies.find(byId(2)) as Reply).result?.data as never),
    ).toMatchObject({
      id: 'slow',
    });
    expect((replies.find(byId(3)) as Reply).result?.type).toBe('data');
    ws.close();
  });

  it('streams tracked events, then stopped; stops early on subscription.stop', async () => {
    const { ws, replies, until } = await connect(server.url);
    const input = superjson.serialize({ agentId: 'slow', input: 'tell me a story' });
    ws.send(
      JSON.stringify({ id: 'a', method: 'subscription', params: { path: 'runs.stream', input } }),
    );
    await until((r) => r.some((x) => byId('a')(x) && (x as Reply).result?.type === 'stopped'));
    const stream = replies.filter(byId('a')) as Reply[];
    expect(stream[0]?.result?.type).toBe('started');
    const data = stream.filter((reply) => reply.result?.type === 'data');
    const events = data.map(
      (reply) =>
        superjson.deserialize(reply.result?.data as never) as {
          id: string;
          data: { type: string; seq: number };
        },
    );
    expect(events.at(-1)?.data.type).toBe('run.completed');
    expect(data.map((reply) => reply.result?.id)).toEqual(events.map((event) => event.id));
    expect(events.map((event) => event.data.seq)).toEqual(events.map((_, i) => i + 1));

    ws.send(
      JSON.stringify({ id: 'b', method: 'subscription', params: { path: 'runs.stream', input } }),
    );
    await until((r) => r.filter(byId('b')).length >= 3);
    ws.send(JSON.stringify({ id: 'b', method: 'subscription.stop' }));
    await until((r) => r.some((x) => byId('b')(x) && (x as Reply).result?.type === 'stopped'));
    const stopped = (replies.filter(byId('b')) as Reply[]).map(
      (reply) =>
        reply.result?.data &&
        (superjson.deserialize(reply.result.data as never) as { data: { type: string } }).data.type,
    );
    expect(stopped).not.toContain('run.completed');
    ws.close();
  });

  it('answers bad messages with errors and keeps the connection', async () => {
    const { ws, replies, until } = await connect(server.url);
    const input = superjson.serialize({ agentId: 'slow', input: 'tell me a story' });
    ws.send('{not json');
    ws.send(
      JSON.stringify({
        id: 4,
        method: 'query',
        params: { path: 'runs.get', input: superjson.serialize({ runId: 'nope' }) },
      }),
    );
    ws.send(
      JSON.stringify({
        id: 5,
        method: 'query',
        params: { path: 'runs.get', input: superjson.serialize({}) },
      }),
    );
    ws.send(
      JSON.stringify({
        id: 6,
        method: 'mutation',
        params: { path: 'agents.list', input: superjson.serialize(undefined) },
      }),
    );
    ws.send(
      JSON.stringify({ id: 'd', method: 'subscription', params: { path: 'runs.stream', input } }),
    );
    ws.send(
      JSON.stringify({ id: 'd', method: 'subscription', params: { path: 'runs.stream', input } }),
    );
    const codeOf = (id: string | number | null) =>
      (replies.find((r) => typeof r !== 'string' && r.id === id && r.error) as Reply | undefined)
        ?.error?.json.data.code;
    await until(() => [null, 4, 5, 6, 'd'].every((id) => codeOf(id) !== undefined));
    expect(codeOf(null)).toBe('PARSE_ERROR');
    expect(codeOf(4)).toBe('NOT_FOUND');
    expect(codeOf(5)).toBe('BAD_REQUEST');
    expect(codeOf(6)).toBe('NOT_FOUND'); // no mutation by that name
    expect(codeOf('d')).toBe('BAD_REQUEST');
    const list = {
      method: 'query',
      params: { path: 'agents.list', input: superjson.serialize(undefined) },
    };
    ws.send(JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ id: 100 + i, ...list }))));
    await until((r) =>
      r.some((x) => typeof x !== 'string' && x.error?.json.message.startsWith('at most 100 calls')),
    );
    ws.send(JSON.stringify({ id: 7, ...list }));
    await until((r) => r.some(byId(7)));
    expect(replies.some(byId(100))).toBe(false); // none of the oversized batch ran
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('reads credentials from connection params, and refuses a wrong one', async () => {
    /** Opens a connection that announces params, sends `authorization`, then lists sessions. */
    const listWith = async (authorization: string) => {
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/trpc?connectionParams=1`);
      const replies: Reply[] = [];
      ws.on('message', (data) => replies.push(JSON.parse(data.toString()) as Reply));
      await once(ws, 'open');
      ws.send(JSON.stringify({ method: 'connectionParams', data: { authorization } }));
      const input = superjson.serialize({});
      ws.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'sessions.list', input } }));
      await expect.poll(() => replies.find(byId(1))).toBeDefined();
      ws.close();
      return replies.find(byId(1)) as Reply;
    };
    expect((await listWith('Bearer wrong')).error?.json.data.code).toBe('UNAUTHORIZED');
    expect((await listWith('Bearer key-alice')).result?.type).toBe('data');
  });

  it('ends a failed subscription with its error alone, no stopped after it', async () => {
    const { ws, replies, until } = await connect(server.url);
    const input = superjson.serialize({ runId: 'no-such-run' });
    ws.send(
      JSON.stringify({ id: 9, method: 'subscription', params: { path: 'runs.events', input } }),
    );
    await until((r) => r.some((x) => byId(9)(x) && typeof x !== 'string' && x.error !== undefined));
    // A later call on the same connection is answered, so anything for 9 would have come by now.
    const list = {
      method: 'query',
      params: { path: 'agents.list', input: superjson.serialize(undefined) },
    };
    ws.send(JSON.stringify({ id: 10, ...list }));
    await until((r) => r.some(byId(10)));
    const forNine = replies.filter(byId(9)) as Reply[];
    expect(
      forNine.map((r) => (r.error ? `error ${r.error.json.data.code}` : r.result?.type)),
    ).toEqual(['error NOT_FOUND']);
    ws.close();
  });
});
