// @agentrpc/mongodb: the MongoDB Store adapter.
export { MongoStore, type MongoStoreOptions } from './mongo-store.ts';
