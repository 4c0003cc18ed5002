// A session's 1,000th run against its first: with history loaded as a window
// (numHistoryRuns), run time must not grow with the session's length.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, DemoModel, MemoryStore, type Store } from '@agentrpc/core';
import { SqliteStore } from '@agentrpc/core/sqlite';
import { MongoStore } from '@agentrpc/mongodb';
import { median } from './measure.ts';

export interface ScalingFigures {
  store: string;
  firstMs: number;
  thousandthMs: number;
}

async function measure(name: string, store: Store, runs: number): Promise<ScalingFigures> {
  const agent = new Agent({
    id: 'bench',
    model: new DemoModel({ chunkDelayMs: 0 }),
    store,
    numHistoryRuns: 3,
  });
  const times: number[] = [];
  let sessionId: string | undefined;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const out = await agent.run(`question ${i}`, {
      userId: 'bench',
      ...(sessionId ? { sessionId } : {}),
    });
    times.push(performance.now() - started);
    sessionId = out.sessionId;
  }
  await store.close();
  return {
    store: name,
    firstMs: median(times.slice(1, 21)),
    thousandthMs: median(times.slice(-20)),
  };
}

export async function measureHistoryScaling(runs = 1000): Promise<ScalingFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentrpc-bench-'));
  const results = [
    await measure('MemoryStore', new MemoryStore(), runs),
    await measure('SqliteStore', new SqliteStore({ path: join(dir, 'bench.db') }), runs),
  ];
  const mongo = process.env.MONGODB_URL;
  if (mongo) {
    const url = `${mongo.replace(/\/$/, '')}/agentrpc_bench_${Date.now()}`;
    results.push(await measure('MongoStore (FerretDB)', new MongoStore({ url }), runs));
  }
  return results;
}
