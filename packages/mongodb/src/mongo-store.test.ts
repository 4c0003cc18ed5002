import { randomUUID } from 'node:crypto';
import { storeConformanceSuite } from '@agentrpc/core/testing';
import { afterAll, describe, it } from 'vitest';
import { MongoStore } from './mongo-store.ts';

// MONGODB_URL points at a MongoDB-wire server; .ci/run starts FerretDB and sets it.
const url = process.env.MONGODB_URL;
const stores: MongoStore[] = [];

if (!url) {
  if (process.env.CI === 'true')
    throw new Error('MONGODB_URL must be set in CI (.ci/run starts FerretDB)');
  // Said in the test report as a skipped test, never silently.
  describe('MongoStore', () => {
    it.skipIf(true)(
      'skipped: set MONGODB_URL (a MongoDB or FerretDB server) or install Go; `scripts/ferretdb.sh start 27017` starts one',
      () => {},
    );
  });
} else {
  const create = async () => {
    // A database per run of the suite, so runs never see each other's data.
    const store = new MongoStore({ url, dbName: `agentrpc_test_${randomUUID().slice(0, 8)}` });
    stores.push(store);
    await store.connect();
    return store;
  };
  storeConformanceSuite('MongoStore', {
    create,
    breakBackend: (store) => (store as MongoStore).close(),
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
  });
}
