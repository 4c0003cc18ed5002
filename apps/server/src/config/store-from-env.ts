// Chooses the store when the config gives none: AGENTRPC_STORE = memory |
// sqlite:<path> | mongodb://…; unset means SQLite at .agentrpc/agentrpc.db.
// AGENTRPC_SQLITE_EVENT_WRITES=inline keeps SQLite's event log on the main
// thread (default: a worker thread).
import { MemoryStore, type Store } from '@agentrpc/core';

export const defaultSqlitePath = '.agentrpc/agentrpc.db';

export async function storeFromEnv(
  value: string | undefined = process.env.AGENTRPC_STORE,
): Promise<Store> {
  if (value === 'memory') return new MemoryStore();
  if (!value || value.startsWith('sqlite:')) {
    // Loaded only when used, so servers on other stores never load node:sqlite.
    const { SqliteStore } = await import('@agentrpc/core/sqlite');
    const eventWrites = process.env.AGENTRPC_SQLITE_EVENT_WRITES;
    return new SqliteStore({
      path: value?.slice('sqlite:'.length) || defaultSqlitePath,
      eventWrites: eventWrites === 'inline' ? 'inline' : 'worker',
    });
  }
  if (value.startsWith('mongodb://') || value.startsWith('mongodb+srv://')) {
    // Loaded only when used, so servers without MongoDB never load the driver.
    const { MongoStore } = await import('@agentrpc/mongodb');
    return new MongoStore({ url: value });
  }
  throw new Error(`AGENTRPC_STORE="${value}" is none of memory, sqlite:<path>, mongodb://…`);
}

/** A short description for the start banner, without credentials. */
export function describeStore(store: Store): string {
  return store.describe?.() ?? store.constructor.name;
}
