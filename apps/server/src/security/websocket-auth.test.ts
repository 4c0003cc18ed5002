// WebSocket connections cost nothing before they authenticate: a credential at
// the upgrade or a small first connectionParams message in time, else closed;
// authenticated ones are capped in size, depth and rate.
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  healthLatency,
  keys,
  nestedArrays,
  rawSocket,
  type SecurityServer,
  startSecurityServer,
} from './security-server.ts';

const policyViolation = 1008;
const messageTooBig = 1009;

const agentsList = (id: number, input: unknown = superjson.serialize(undefined)) =>
  JSON.stringify({ id, method: 'query', params: { path: 'agents.list', input } });

describe('WebSocket before and after authentication', () => {
  let s: SecurityServer;
  beforeAll(async () => {
    s = await startSecurityServer({
      limits: {
        webSocketAuthTimeoutMs: 300,
        webSocketMessagesPerSecond: 20,
        maxWebSocketMessageBytes: 256 * 1024,
      },
    });
    await healthLatency(s.url); // the first request pays for loading the HTTP client
  });
  afterAll(() => s.close());

  it('refuses a connection without credentials and never reads what it sends', async () => {
    const { ws, received, closed } = await rawSocket(s.url);
    // Deeply nested messages that would cost seconds to deserialise.
    const bomb = `{"id":1,"method":"query","params":{"path":"agents.list","input":{"json":${nestedArrays(100_000)}}}}`;
    for (let i = 0; i < 10; i++) ws.send(bomb);
    // Parsing the ten would hold the event loop for about a second; the bound leaves room for
    // the suite's other files sharing the machine, and none for the parse.
    expect(await healthLatency(s.url)).toBeLessThan(300);
    const { code } = await closed;
    expect(code).toBe(policyViolation);
    const refusal = JSON.parse(received[0] ?? '{}');
    expect(refusal).toMatchObject({ id: null });
    expect(superjson.deserialize(refusal.error)).toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
    // Nothing but the refusal: the large messages were not parsed, so not answered.
    expect(received).toHaveLength(1);
  });

  it('answers the small calls of a refused connection with UNAUTHORIZED', async () => {
    const { ws, received, closed } = await rawSocket(s.url, {
      headers: { authorization: 'Bearer wrong-key' },
    });
    ws.send(agentsList(7));
    await closed;
    const answers = received.map((text) => JSON.parse(text) as { id: unknown; error?: unknown });
    const answer = answers.find((reply) => reply.id === 7);
    expect(superjson.deserialize(answer?.error as never)).toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
  });

  it('closes a connection whose first message is too large to be connectionParams', async () => {
    const { ws, closed } = await rawSocket(s.url, { query: '?connectionParams=1' });
    ws.send(JSON.stringify({ method: 'connectionParams', data: { token: 'x'.repeat(10_000) } }));
    expect((await closed).code).toBe(policyViolation);
  });

  it('closes a connection that does not authenticate in time', async () => {
    const { closed } = await rawSocket(s.url, { query: '?connectionParams=1' });
    const started = performance.now();
    expect((await closed).code).toBe(policyViolation);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('authenticates by connectionParams and serves calls sent right behind them', async () => {
    const { ws, received } = await rawSocket(s.url, { query: '?connectionParams=1' });
    ws.send(JSON.stringify({ method: 'connectionParams', data: { token: keys.alice } }));
    ws.send(agentsList(1));
    await expect.poll(() => received.some((text) => text.includes('"id":1'))).toBe(true);
    const reply = JSON.parse(received.find((text) => text.includes('"id":1')) ?? '{}');
    expect(superjson.deserialize(reply.result.data)).toEqual([
      expect.objectContaining({ id: 'slow' }),
    ]);
    ws.close();
  });

  it('refuses a message nested too deeply without parsing it, and stays open', async () => {
    const { ws, received } = await rawSocket(s.url, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    ws.send(
      `{"id":2,"method":"query","params":{"path":"agents.list","input":{"json":${nestedArrays(1_000)}}}}`,
    );
    await expect.poll(() => received.length).toBeGreaterThan(0);
    const reply = JSON.parse(received[0] ?? '{}');
    expect(superjson.deserialize(reply.error)).toMatchObject({ data: { code: 'BAD_REQUEST' } });
    ws.send('PING');
    await expect.poll(() => received.includes('PONG')).toBe(true);
    ws.close();
  });

  it('closes a connection that sends a message over its size cap', async () => {
    const { ws, closed } = await rawSocket(s.url, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    ws.send(agentsList(3, { json: 'x'.repeat(300 * 1024) }));
    expect((await closed).code).toBe(messageTooBig);
  });

  it('closes a connection that floods it with messages', async () => {
    const { ws, received, closed } = await rawSocket(s.url, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    for (let i = 0; i < 200; i++) ws.send('PING');
    expect((await closed).code).toBe(policyViolation);
    const refusal = received.map((text) => (text === 'PONG' ? {} : JSON.parse(text))).at(-1);
    expect(superjson.deserialize(refusal.error)).toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS' },
    });
  });
});
