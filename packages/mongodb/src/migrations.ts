// The MongoStore's database migrations, in order. Each runs once per database
// (marked in the meta collection when it is through) and may run on several
// instances at once, since every step of each can be repeated.
import type { Db } from 'mongodb';
import { migrateToIdsPerUser } from './ids-per-user-migration.ts';
import { isDuplicateKey } from './mongo-errors.ts';
import { migrateToRunsByStatus } from './runs-by-status-migration.ts';

const migrations = [
  { marker: 'ids-per-user-printable', migrate: migrateToIdsPerUser },
  { marker: 'runs-by-status', migrate: migrateToRunsByStatus },
];

export async function migrate(db: Db, prefix: string): Promise<void> {
  const meta = db.collection<{ _id: string; at: number }>(`${prefix}meta`);
  for (const { marker, migrate } of migrations) {
    if (await meta.findOne({ _id: marker })) continue;
    await migrate(db, prefix);
    try {
      await meta.updateOne({ _id: marker }, { $set: { at: Date.now() } }, { upsert: true });
    } catch (error) {
      // Two instances starting together both upsert the marker: one of them wins, and that is all.
      if (!isDuplicateKey(error)) throw error;
    }
  }
}
