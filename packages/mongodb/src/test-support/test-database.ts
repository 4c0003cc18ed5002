// The MongoDB-wire server the tests run against: MONGODB_URL, which .ci/run
// sets after starting FerretDB. Without it a suite says it was skipped (never
// silently), and in CI it fails.
import { randomUUID } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, describe, it } from 'vitest';
import { MongoStore } from '../mongo-store.ts';

/** The server's URL, or undefined after registering a skipped test that says why. */
export function mongoUrlOrSkip(suite: string): string | undefined {
  const url = process.env.MONGODB_URL;
  if (url) return url;
  if (process.env.CI === 'true')
    throw new Error('MONGODB_URL must be set in CI (.ci/run starts FerretDB)');
  describe(suite, () => {
    it.skipIf(true)(
      'skipped: set MONGODB_URL (a MongoDB or FerretDB server) or install Go; `scripts/ferretdb.sh start 27017` starts one',
      () => {},
    );
  });
  return undefined;
}

/** Opens stores and clients on fresh databases, and closes them all after the file's tests. */
export function testDatabases(url: string) {
  const stores: MongoStore[] = [];
  const clients: MongoClient[] = [];
  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const client of clients) await client.close();
  });
  const newDbName = () => `agentrpc_test_${randomUUID().slice(0, 8)}`;
  const storeOn = async (dbName: string) => {
    const store = new MongoStore({ url, dbName });
    stores.push(store);
    await store.connect();
    return store;
  };
  const dbNamed = (dbName: string): Db => {
    const client = new MongoClient(url);
    clients.push(client);
    return client.db(dbName);
  };
  return { newDbName, storeOn, dbNamed, stores, clients };
}
