// @agentrpc/core/testing: the Store conformance suite (needs vitest) and fixtures.
export {
  contentEvent,
  runFixture,
  type StoreUnderTest,
  sessionFixture,
  storeConformanceSuite,
} from './store-conformance.ts';
