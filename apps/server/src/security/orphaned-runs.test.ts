// A run whose process died ends without waiting for another restart: live
// instances sweep for runs whose session lease expired, runs.cancel ends such a
// run at once, and followers get its terminal event instead of polling forever.
import { emptyMetrics, MemoryStore, type Store } from '@agentrpc/core';
import { sessionLeaseKey } from '@agentrpc/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { call, keys, type SecurityServer, startSecurityServer } from './security-server.ts';

let s: SecurityServer | undefined;
afterEach(() => s?.close());

/**
 * A run as a process leaves it when it dies mid-run: running, its session lease
 * held (in the name of `holder`, when given) until `leaseMs` from now.
 */
async function orphan(store: Store, runId: string, leaseMs: number, holder?: string) {
  const now = Date.now();
  const sessionId = `session-of-${runId}`;
  await store.createSession({
    sessionId,
    userId: 'alice',
    agentId: 'slow',
    name: 'x',
    state: {},
    metadata: {},
    runCount: 0,
    createdAt: now,
    updatedAt: now,
  });
  await store.appendRun({
    runId,
    sessionId,
    userId: 'alice',
    agentId: 'slow',
    status: 'running',
    content: '',
    toolCalls: [],
    messages: [],
    model: 'demo',
    metrics: emptyMetrics(),
    lastSeq: 1,
    createdAt: now,
    updatedAt: now,
  });
  const started = { sessionId, userId: 'alice', agentId: 'slow', model: 'demo' };
  await store.appendEvents({ userId: 'alice', runId }, [
    { type: 'run.started', runId, seq: 1, createdAt: now, ...started },
  ]);
  const owner = holder ? `${runId}@${holder}` : runId;
  await store.acquireLease({ key: sessionLeaseKey('alice', sessionId), owner, ttlMs: leaseMs });
}

/** The event types a follower of the run receives, to the end of its stream. */
async function follow(url: string, runId: string): Promise<string[]> {
  const res = await call(url, {
    path: 'runs.events',
    key: keys.alice,
    method: 'GET',
    input: { runId },
  });
  const text = await res.text();
  return [...text.matchAll(/"type":"(run\.[a-z]+)"/g)].map((match) => match[1] as string);
}

describe('orphaned runs', () => {
  it('are ended as INTERRUPTED by a live instance once their lease expires, and followers see it', async () => {
    const store = new MemoryStore();
    await orphan(store, 'orphan-1', 400);
    s = await startSecurityServer({ store, limits: { orphanSweepMs: 100 } });
    expect(s.server.recovered).toBe(0); // its lease was still held at start
    const started = performance.now();
    const types = await follow(s.url, 'orphan-1');
    expect(types).toEqual(['run.started', 'run.error']);
    expect(performance.now() - started).toBeLessThan(5_000);
    const run = await store.getRun({ userId: 'alice', runId: 'orphan-1' });
    expect(run).toMatchObject({ status: 'error', error: { code: 'INTERRUPTED' } });
  });

  it('are ended at once by runs.cancel', async () => {
    const store = new MemoryStore();
    await orphan(store, 'orphan-2', 50);
    s = await startSecurityServer({ store, limits: { orphanSweepMs: 600_000 } });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the dead process's lease runs out
    const res = await call(s.url, {
      path: 'runs.cancel',
      key: keys.alice,
      input: { runId: 'orphan-2' },
    });
    const body = (await res.json()) as { result: { data: { json: { status: string } } } };
    expect(body.result.data.json.status).toBe('cancelled');
    expect(await follow(s.url, 'orphan-2')).toEqual(['run.started', 'run.cancelled']);
  });

  it('are recognised at once by their own instance when it restarts, and only by it', async () => {
    const store = new MemoryStore();
    await orphan(store, 'orphan-3', 60_000, 'node-a');
    s = await startSecurityServer({ store, config: { instanceId: 'node-b' } });
    expect(s.server.recovered).toBe(0); // another instance's run, its lease still held
    await s.close();
    s = await startSecurityServer({ store, config: { instanceId: 'node-a' } });
    expect(s.server.recovered).toBe(1);
    expect(await follow(s.url, 'orphan-3')).toEqual(['run.started', 'run.error']);
  });

  it('leave runs of this process alone', async () => {
    s = await startSecurityServer({ limits: { orphanSweepMs: 50 } });
    const res = await call(s.url, {
      path: 'runs.stream',
      key: keys.alice,
      method: 'GET',
      input: { agentId: 'slow', input: 'a long story' },
    });
    expect(await res.text()).toContain('"type":"run.completed"');
  });
});
