// Run and subscription limits hold when many calls arrive at once: in one HTTP
// batch, in one WebSocket message, or as subscriptions left open.
import superjson from 'superjson';
import { afterEach, describe, expect, it } from 'vitest';
import { keys, rawSocket, type SecurityServer, startSecurityServer } from './security-server.ts';

const startInput = { agentId: 'slow', input: 'tell me a long story' };

let s: SecurityServer | undefined;
afterEach(() => s?.close());

interface BatchAnswer {
  result?: unknown;
  error?: { json: { data: { code: string } } };
}

/** tRPC error codes of each answer in a batch; 'ok' for a result. */
function outcomes(answers: BatchAnswer[]) {
  return answers.map((answer) => (answer.error ? answer.error.json.data.code : 'ok'));
}

describe('limits under batching', () => {
  it('starts at most maxConcurrentRunsPerUser runs from one HTTP batch', async () => {
    s = await startSecurityServer({ limits: { maxConcurrentRunsPerUser: 3 } });
    const paths = Array.from({ length: 10 }, () => 'runs.start').join(',');
    const body = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [String(i), { json: startInput }]),
    );
    const res = await fetch(`${s.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const codes = outcomes((await res.json()) as BatchAnswer[]);
    expect(codes.filter((code) => code === 'ok')).toHaveLength(3);
    expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(7);
    expect(s.server.services.runs.activeCountFor('alice')).toBe(3);
  });

  it('starts at most maxRunningRuns runs from one WebSocket message of 50 calls', async () => {
    s = await startSecurityServer({ limits: { maxRunningRuns: 5 } });
    const { ws, received } = await rawSocket(s.url, {
      headers: { authorization: `Bearer ${keys.bob}` },
    });
    const calls = Array.from({ length: 50 }, (_, id) => ({
      id,
      method: 'mutation',
      params: { path: 'runs.start', input: superjson.serialize(startInput) },
    }));
    ws.send(JSON.stringify(calls));
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(50);
    const answers = received.map((text) => JSON.parse(text));
    const codes = answers.map((answer) =>
      answer.error
        ? (superjson.deserialize(answer.error) as { data: { code: string } }).data.code
        : 'ok',
    );
    expect(codes.filter((code) => code === 'ok')).toHaveLength(5);
    expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(45);
    expect(s.server.services.runs.activeCount).toBe(5);
    ws.close();
  });

  it('caps the subscriptions one user keeps open, and frees a slot when one closes', async () => {
    s = await startSecurityServer({ limits: { maxSubscriptionsPerUser: 2 } });
    const url = s.url;
    const started = await fetch(`${url}/trpc/runs.start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ json: startInput }),
    });
    const { runId } = ((await started.json()) as { result: { data: { json: { runId: string } } } })
      .result.data.json;
    const follow = (signal: AbortSignal) =>
      fetch(
        `${url}/trpc/runs.events?input=${encodeURIComponent(JSON.stringify({ json: { runId } }))}`,
        {
          headers: { authorization: `Bearer ${keys.alice}` },
          signal,
        },
      );
    const first = new AbortController();
    const open = [await follow(first.signal), await follow(new AbortController().signal)];
    const reader = open[0]?.body?.getReader();
    await reader?.read(); // the stream is serving
    const third = await follow(AbortSignal.timeout(5_000));
    // Refused before it began: a 429 with Retry-After, not an event stream.
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(await third.text()).toContain('TOO_MANY_REQUESTS');
    first.abort();
    await expect
      .poll(async () => {
        const again = await follow(AbortSignal.timeout(300)).catch(() => undefined);
        const head = await again?.body
          ?.getReader()
          .read()
          .catch(() => undefined);
        return new TextDecoder().decode(head?.value ?? new Uint8Array()).includes('TOO_MANY');
      })
      .toBe(false);
  });
});
