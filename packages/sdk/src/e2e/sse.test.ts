import { e2eSuite } from './suite.ts';

e2eSuite('sse');
