// The server speaks tRPC's own protocols: a plain @trpc/client, with its SSE
// and WebSocket links, streams runs from it and gets its errors.
import type { AppRouter, RunEvent } from '@agentrpc/server';
import {
  createTRPCClient,
  createWSClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCLink,
  wsLink,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../index.ts';
import { type Harness, startHarness } from './harness.ts';

function clientWith(subscriptions: TRPCLink<AppRouter>, url: string) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: subscriptions,
        false: httpLink({ url, transformer: superjson }),
      }),
    ],
  });
}

type TrpcClient = ReturnType<typeof clientWith>;

/** Streams a run with tRPC's own subscribe(); resolves with the events and their ids. */
function streamRun(client: TrpcClient, agentId: string) {
  return new Promise<{ events: RunEvent[]; ids: string[] }>((resolve, reject) => {
    const events: RunEvent[] = [];
    const ids: string[] = [];
    const subscription = client.runs.stream.subscribe(
      { agentId, input: 'hi' },
      {
        onData: ({ id, data }) => {
          ids.push(id);
          events.push(data);
          if (data.type === 'run.completed') {
            subscription.unsubscribe();
            resolve({ events, ids });
          }
        },
        onError: reject,
      },
    );
  });
}

// The router served by agentrpc's own transports and by tRPC's adapters: the
// same clients work against both (the benchmark compares their speed).
describe.each(['agentrpc', 'trpc'] as const)(
  'a plain tRPC client, %s transports',
  (serverTransports) => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness('sse', { serverTransports });
    });
    afterAll(() => h.close());

    it('streams a run over SSE, with tracked ids, and hears errors', async () => {
      const url = `${h.server.url}/trpc`;
      const withKey: typeof fetch = (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, authorization: 'Bearer key-alice' } });
      const client = clientWith(
        httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: { fetch: withKey },
        }),
        url,
      );
      h.fake.enqueue({ text: 'plain tRPC over SSE', chunkSize: 5 });
      const { events, ids } = await streamRun(client, 'weather');
      expect(events.flatMap((e) => (e.type === 'run.content' ? [e.delta] : [])).join('')).toBe(
        'plain tRPC over SSE',
      );
      expect(ids).toEqual(events.map((e) => `${e.runId}:${e.seq}`));
      await expect(streamRun(client, 'no-such-agent')).rejects.toMatchObject({
        data: { code: 'NOT_FOUND' },
      });
    });

    it('authenticates SSE by connection params, as browsers must', async () => {
      const url = `${h.server.url}/trpc`;
      const client = clientWith(
        httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          connectionParams: { authorization: 'Bearer key-bob' },
        }),
        url,
      );
      h.fake.enqueue({ text: 'hello bob' });
      const { events } = await streamRun(client, 'weather');
      expect(events[0]).toMatchObject({ type: 'run.started' });
      const runId = events[0]?.runId ?? '';
      expect(await h.bob.runs.get({ runId })).toMatchObject({
        userId: 'bob',
        content: 'hello bob',
      });
    });

    it('streams a run over WebSocket with connection params', async () => {
      const ws = createWSClient({
        url: `${h.server.url.replace(/^http/, 'ws')}/trpc`,
        connectionParams: { authorization: 'Bearer key-alice' },
      });
      const client = clientWith(
        wsLink({ client: ws, transformer: superjson }),
        `${h.server.url}/trpc`,
      );
      h.fake.enqueue({ text: 'plain tRPC over WebSocket', chunkSize: 5 });
      const { events } = await streamRun(client, 'weather');
      expect(events.at(-1)?.type).toBe('run.completed');
      await ws.close();
    });

    it.each(['sse', 'ws'] as const)('serves the SDK over %s too', async (transport) => {
      const sdk = createClient({ url: h.proxy.url, apiKey: 'key-alice', transport });
      try {
        h.fake.enqueue({ text: `the SDK over ${transport}`, chunkSize: 4 });
        const out = await sdk.run({ agentId: 'weather', input: 'hi' });
        expect(out.content).toBe(`the SDK over ${transport}`);
      } finally {
        sdk.close();
      }
    });
  },
);
