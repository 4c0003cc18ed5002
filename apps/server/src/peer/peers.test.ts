// Two real servers on one store, sharing a peer secret: a run started on one
// and followed from the other reaches the follower from the instance running
// it, not from polling the store; and when that instance cannot be reached or
// cuts the stream, the follower reads the store on from where it got to.
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import {
  Agent,
  DemoModel,
  type GetRunOptions,
  MemoryStore,
  type RunEvent,
  type RunKey,
  type Store,
} from '@agentrpc/core';
import { createClient } from '@agentrpc/sdk';
import { createTcpProxy } from '@agentrpc/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentRpcServer, startServer } from '../http/create-server.ts';
import { notLiveHeader, peerEventsPath } from './peer-endpoint.ts';

const secret = 'a-peer-secret-of-some-length';
const apiKey = 'key-alice';

/**
 * The store, counting the event-log reads made through this view of it, and
 * noting how each run record was asked for. With `log: 'behind'` the log seen
 * through the view has no event yet, as a log falling behind under load; with
 * `log: 'down'` its reads fail.
 */
function countingReads(store: MemoryStore, options: { log?: 'behind' | 'down' } = {}) {
  const counted = { reads: 0, recordReads: [] as (GetRunOptions | undefined)[] };
  const view = new Proxy(store, {
    get(target, name) {
      if (options.log && (name === 'readEvents' || name === 'readEventBatches')) {
        return async (queries: unknown) => {
          counted.reads++;
          if (options.log === 'down') throw new Error('the event log is down');
          return name === 'readEvents' ? [] : (queries as unknown[]).map(() => []);
        };
      }
      if (name === 'readEvents' || name === 'readEventBatches') counted.reads++;
      if (name === 'getRun') {
        return (key: RunKey, options?: GetRunOptions) => {
          counted.recordReads.push(options);
          return target.getRun(key);
        };
      }
      const value = Reflect.get(target, name, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { view: view as Store, counted };
}

const started: { close(graceMs?: number): Promise<void> }[] = [];
/** What the servers warned of, in order, and the codes of the errors they warned of. */
const warnings: string[] = [];
const warnedCodes: unknown[] = [];
afterEach(async () => {
  for (const one of started.splice(0).reverse()) await one.close(100);
  warnings.length = 0;
  warnedCodes.length = 0;
});

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function serve(options: {
  store: Store;
  peers?: { secret: string; url?: string };
  port?: number;
}): Promise<AgentRpcServer> {
  const model = new DemoModel({ chunkDelayMs: 15 });
  const server = await startServer(
    {
      store: options.store,
      agents: [new Agent({ id: 'demo', model })],
      auth: { apiKeys: [{ key: apiKey, userId: 'alice' }] },
      ...(options.peers ? { peers: options.peers } : {}),
      logger: quietLogger(),
    },
    { port: options.port ?? 0 },
  );
  started.push(server);
  return server;
}

/** A pino-like logger that keeps only the warnings' messages. */
function quietLogger() {
  const logger = {
    level: 'warn',
    child: () => logger,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (...args: unknown[]) => {
      warnings.push(String(args.at(-1)));
      warnedCodes.push((args[0] as { err?: { code?: unknown } }).err?.code);
    },
    error: () => undefined,
    fatal: () => undefined,
  };
  return logger as never;
}

/** Starts a run on `runner` and follows it from `follower`; both streams' events, in order. */
async function runAndFollow(
  runner: AgentRpcServer,
  follower: AgentRpcServer,
  onEvent?: (event: RunEvent) => void,
) {
  const a = createClient({ url: runner.url, apiKey });
  const b = createClient({ url: follower.url, apiKey });
  const own: RunEvent[] = [];
  const followed: RunEvent[] = [];
  let following: Promise<void> | undefined;
  for await (const event of a.runs.stream({ agentId: 'demo', input: 'tell me a long story' })) {
    own.push(event);
    if (event.seq === 1) {
      following = (async () => {
        for await (const seen of b.runs.events({ runId: event.runId })) {
          followed.push(seen);
          onEvent?.(seen);
        }
      })();
    }
  }
  await following;
  a.close();
  b.close();
  return { own, followed };
}

describe('instances sharing a peer secret', () => {
  it('follow each other’s runs from the instance running them, not from the store', async () => {
    const store = new MemoryStore();
    // The follower's instance sees a log with no events, so every event it
    // delivers came from the instance running the run.
    const b = countingReads(store, { log: 'behind' });
    const runner = await serve({ store, peers: { secret } });
    const follower = await serve({ store: b.view, peers: { secret } });
    let readsOnceAnswered: number | undefined;
    const { own, followed } = await runAndFollow(runner, follower, (event) => {
      if (event.seq === 2) readsOnceAnswered = b.counted.reads;
    });
    expect(own.length).toBeGreaterThan(10);
    expect(followed).toEqual(own);
    // It polled the log while the other instance was asked (it reads the log
    // once at least) and stopped once that one answered (a poll then under
    // way may still end); its record once, as a follower's (a store may serve
    // that on a path of its own).
    expect(readsOnceAnswered).toBeGreaterThanOrEqual(1);
    expect(b.counted.reads - (readsOnceAnswered ?? 0)).toBeLessThanOrEqual(1);
    expect(b.counted.recordReads).toEqual([{ following: true }]);
    const counted = await follower.services.metrics.registry.metrics();
    expect(counted).toContain('agentrpc_peer_reads_total{outcome="started"} 1');
    expect(counted).not.toContain('outcome="failed"');
    const run = await createClient({ url: follower.url, apiKey }).runs.get({
      runId: own[0]!.runId,
    });
    expect(run).not.toHaveProperty('servedBy'); // where instances reach each other is theirs to know
    expect((await store.getRun({ userId: 'alice', runId: own[0]!.runId }))?.servedBy).toBe(
      runner.url,
    );
  });

  it('follow from the instance running the run while their own store reads fail', async () => {
    const store = new MemoryStore();
    const b = countingReads(store, { log: 'down' });
    const runner = await serve({ store, peers: { secret } });
    const follower = await serve({ store: b.view, peers: { secret } });
    const { own, followed } = await runAndFollow(runner, follower);
    expect(followed).toEqual(own);
    expect(b.counted.reads).toBeGreaterThan(0); // tried beside the relay, and let it be
    expect(warnings).toEqual([]);
    const counted = await follower.services.metrics.registry.metrics();
    expect(counted).toContain('agentrpc_peer_reads_total{outcome="started"} 1');
    expect(counted).not.toContain('outcome="failed"');
  });

  it('read the store when the instance running the run refuses them', async () => {
    const store = new MemoryStore();
    const b = countingReads(store);
    const runner = await serve({ store, peers: { secret } });
    const follower = await serve({ store: b.view, peers: { secret: `${secret}-not-the-same` } });
    const { own, followed } = await runAndFollow(runner, follower);
    expect(followed).toEqual(own);
    expect(b.counted.reads).toBeGreaterThan(0);
    expect(warnings).toContain('reading the run from the store instead');
  });

  it('ask an instance reached over https with TLS, and read the store when that fails', async () => {
    const store = new MemoryStore();
    const b = countingReads(store);
    // The runner says it is reached over https, but speaks plain HTTP there.
    const port = await freePort();
    const runner = await serve({
      store,
      peers: { secret, url: `https://127.0.0.1:${port}` },
      port,
    });
    const follower = await serve({ store: b.view, peers: { secret } });
    const { own, followed } = await runAndFollow(runner, follower);
    expect(followed).toEqual(own);
    expect(warnings).toEqual(['reading the run from the store instead']);
    // The TLS handshake failed, not the request's making (an agent for http: refuses https:).
    expect(warnedCodes).toHaveLength(1);
    expect(warnedCodes[0]).not.toBe('ERR_INVALID_PROTOCOL');
    expect(String(warnedCodes[0])).toMatch(/^E/);
  });

  it('warn when the address a run gives for its instance answers 404 as something else', async () => {
    const store = new MemoryStore();
    const b = countingReads(store);
    // The runner says it is reached under a path where nothing of it is served.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/elsewhere`;
    const runner = await serve({ store, peers: { secret, url }, port });
    const follower = await serve({ store: b.view, peers: { secret } });
    const { own, followed } = await runAndFollow(runner, follower);
    expect(followed).toEqual(own);
    expect(warnings).toEqual(['reading the run from the store instead']);
    const counted = await follower.services.metrics.registry.metrics();
    expect(counted).toContain('agentrpc_peer_reads_total{outcome="failed"} 1');
  });

  it('read the store on from where they got to when the stream between them is cut', async () => {
    const store = new MemoryStore();
    const b = countingReads(store);
    // The runner says it is reached through a proxy, which cuts the stream midway.
    const port = await freePort();
    const proxy = await createTcpProxy({ port });
    started.push({ close: () => proxy.close() });
    const runner = await serve({ store, peers: { secret, url: proxy.url }, port });
    const follower = await serve({ store: b.view, peers: { secret } });
    let cut = false;
    const { own, followed } = await runAndFollow(runner, follower, (event) => {
      if (event.seq === 5 && !cut) {
        cut = true;
        proxy.dropConnections();
      }
    });
    expect(cut).toBe(true);
    expect(followed.map((e) => e.seq)).toEqual(own.map((e) => e.seq)); // none lost, none twice
    expect(followed).toEqual(own);
    expect(b.counted.reads).toBeGreaterThan(0);
    expect(warnings).toEqual(['reading the run from the store instead']);
    const counted = await follower.services.metrics.registry.metrics();
    expect(counted).toContain('agentrpc_peer_reads_total{outcome="failed"} 1');
    // The runner's side let go of the stream it was serving.
    await expect
      .poll(() => runner.services.metrics.registry.metrics())
      .toContain('agentrpc_peer_streams 0');
  });
});

describe('GET /peer/runs/events', () => {
  it('answers only instances holding the secret, and only for runs live there', async () => {
    const server = await serve({ store: new MemoryStore(), peers: { secret } });
    const ask = (query: string, auth?: string) =>
      fetch(`${server.url}${peerEventsPath}?${query}`, {
        headers: auth ? { authorization: `Bearer ${auth}` } : {},
      });
    expect((await ask('userId=alice&runId=r1&afterSeq=0')).status).toBe(401);
    expect((await ask('userId=alice&runId=r1&afterSeq=0', 'wrong')).status).toBe(401);
    const notLive = await ask('userId=alice&runId=r1&afterSeq=0', secret);
    expect(notLive.status).toBe(404);
    expect(notLive.headers.get(notLiveHeader)).toBe('1'); // a 404 from elsewhere has none
    const bad = await ask('userId=alice&runId=r%20x&afterSeq=-1', secret);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('runId');
  });

  it('says where it will be reached when listening on every interface without peers.url', async () => {
    const warned: string[] = [];
    const server = await startServer(
      {
        store: new MemoryStore(),
        agents: [new Agent({ id: 'demo', model: new DemoModel() })],
        auth: { apiKeys: [{ key: apiKey, userId: 'alice' }] },
        peers: { secret },
        logger: quietLogger(),
      },
      { port: 0, host: '0.0.0.0', onWarning: (warning) => warned.push(warning) },
    );
    started.push(server);
    expect(server.services.peers?.url).toBe(`http://${hostname()}:${server.port}`);
    expect(warned.join('\n')).toContain(
      `peers.url is not set: other instances will reach this one at ${server.services.peers?.url}`,
    );
  });

  it('is not served without a peer secret', async () => {
    const server = await serve({ store: new MemoryStore() });
    const response = await fetch(`${server.url}${peerEventsPath}?userId=a&runId=b&afterSeq=0`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(response.status).toBe(404);
  });
});
