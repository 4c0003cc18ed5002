// Moves a database to runs split by status (run-docs.ts): runs that have not
// ended go from runs to active_runs, and every run's id goes into run_ids.
// Every step can be repeated (migrations.ts).
import type { Db } from 'mongodb';
import { type Collections, collections, type RunIdDoc } from './collections.ts';
import { isDuplicateKey, isOnlyDuplicates } from './mongo-errors.ts';
import { hasEnded } from './run-docs.ts';

const batchSize = 500;

async function insertIds(c: Collections, ids: RunIdDoc[]) {
  if (ids.length === 0) return;
  try {
    await c.runIds.insertMany(ids, { ordered: false });
  } catch (error) {
    if (!isOnlyDuplicates(error)) throw error;
  }
}

export async function migrateToRunsByStatus(db: Db, prefix: string): Promise<void> {
  const c = collections(db, prefix);
  let ids: RunIdDoc[] = [];
  for await (const run of c.runs.find({})) {
    ids.push({ _id: run._id, userId: run.userId, sessionId: run.sessionId });
    if (ids.length === batchSize) {
      await insertIds(c, ids);
      ids = [];
    }
    if (hasEnded(run.status)) continue;
    try {
      await c.activeRuns.insertOne(run);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // moved already
    }
    await c.runs.deleteOne({ _id: run._id });
  }
  await insertIds(c, ids);
}
