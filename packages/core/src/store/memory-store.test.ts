import { storeConformanceSuite } from '../testing/store-conformance.ts';
import { MemoryStore } from './memory-store.ts';

storeConformanceSuite('MemoryStore', { create: async () => new MemoryStore() });
