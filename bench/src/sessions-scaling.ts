// A run against the number of sessions the store holds: many users' sessions
// must not make each run's store work grow (bench:history's second table).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, DemoModel, MemoryStore, type Store } from '@agentrpc/core';
import { SqliteStore } from '@agentrpc/core/sqlite';
import { MongoStore } from '@agentrpc/mongodb';
import { median } from './measure.ts';

export interface SessionsFigures {
  store: string;
  /** Median run time with only the bench user's own sessions in the store. */
  fewMs: number;
  /** The same with `sessions` other sessions added, of 100 other users. */
  manyMs: number;
}

/** Median time of `runs` runs, every other one in a new session, the rest in one older session. */
async function runTimes(agent: Agent, runs: number): Promise<number> {
  const times: number[] = [];
  const first = await agent.run('first', { userId: 'bench' });
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await agent.run(`question ${i}`, {
      userId: 'bench',
      ...(i % 2 ? { sessionId: first.sessionId } : {}),
    });
    times.push(performance.now() - started);
  }
  return median(times);
}

async function addSessions(store: Store, count: number): Promise<void> {
  const now = Date.now();
  for (let made = 0; made < count; ) {
    const batch: Promise<unknown>[] = [];
    for (; batch.length < 20 && made < count; made++) {
      batch.push(
        store.createSession({
          sessionId: `other-${made}`,
          userId: `user-${made % 100}`,
          agentId: 'bench',
          name: 'another user’s session',
          state: {},
          metadata: {},
          runCount: 0,
          createdAt: now,
          updatedAt: now,
        }),
      );
    }
    await Promise.all(batch);
  }
}

async function measure(
  name: string,
  store: Store,
  options: { sessions: number; runs: number },
): Promise<SessionsFigures> {
  const model = new DemoModel({ chunkDelayMs: 0 });
  const agent = new Agent({ id: 'bench', model, store, numHistoryRuns: 3 });
  const fewMs = await runTimes(agent, options.runs);
  await addSessions(store, options.sessions);
  const manyMs = await runTimes(agent, options.runs);
  await store.close();
  return { store: name, fewMs, manyMs };
}

export async function measureSessionsScaling(options: {
  sessions: number;
  runs: number;
}): Promise<SessionsFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentrpc-bench-'));
  const results = [
    await measure('MemoryStore', new MemoryStore(), options),
    await measure('SqliteStore', new SqliteStore({ path: join(dir, 'sessions.db') }), options),
  ];
  const mongo = process.env.MONGODB_URL;
  if (mongo) {
    const url = `${mongo.replace(/\/$/, '')}/agentrpc_sessions_${Date.now()}`;
    results.push(await measure('MongoStore (FerretDB)', new MongoStore({ url }), options));
  }
  return results;
}
