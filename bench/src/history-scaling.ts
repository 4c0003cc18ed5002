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
  /** Last runs ÷ first runs of every round, in the order run; the figures above are the median round's. */
  ratios: number[];
}

async function measure(
  name: string,
  store: Store,
  runs: number,
): Promise<Omit<ScalingFigures, 'ratios'>> {
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

/**
 * Each store `rounds` times, a fresh one each round: at a fraction of a
 * millisecond per run, one round's ratio moves with a collection or a
 * checkpoint falling among its first or last runs.
 */
async function measureRounds(
  name: string,
  options: { runs: number; rounds: number; newStore: () => Store },
): Promise<ScalingFigures> {
  const rounds: Omit<ScalingFigures, 'ratios'>[] = [];
  for (let round = 0; round < options.rounds; round++) {
    rounds.push(await measure(name, options.newStore(), options.runs));
  }
  const ratioOf = (f: Omit<ScalingFigures, 'ratios'>) => f.thousandthMs / f.firstMs;
  const sorted = [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b));
  const middle = sorted[Math.floor(sorted.length / 2)] as Omit<ScalingFigures, 'ratios'>;
  return { ...middle, ratios: rounds.map(ratioOf) };
}

export async function measureHistoryScaling(
  runs: number,
  rounds: number,
): Promise<ScalingFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentrpc-bench-'));
  let files = 0;
  const results = [
    await measureRounds('MemoryStore', { runs, rounds, newStore: () => new MemoryStore() }),
    await measureRounds('SqliteStore', {
      runs,
      rounds,
      newStore: () => new SqliteStore({ path: join(dir, `bench-${files++}.db`) }),
    }),
  ];
  const mongo = process.env.MONGODB_URL;
  if (mongo) {
    const url = () => `${mongo.replace(/\/$/, '')}/agentrpc_bench_${Date.now()}`;
    results.push(
      await measureRounds('MongoStore (FerretDB)', {
        runs,
        rounds,
        newStore: () => new MongoStore({ url: url() }),
      }),
    );
  }
  return results;
}
