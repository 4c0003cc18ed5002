// @agentrpc/core/sqlite: the embedded SQLite store. A subpath of its own, so
// that importing the core does not load node:sqlite.
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.ts';
