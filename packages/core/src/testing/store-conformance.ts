// The Store conformance suite: every adapter runs it (memory, SQLite, MongoDB).
// It checks behaviour, user scoping and error handling through the interface
// only; each part of the interface has its cases in a file of its own.
import { describe, expect, it } from 'vitest';
import { AgentRpcError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { cacheCases } from './cache-cases.ts';
import { eventCases } from './event-cases.ts';
import { leaseCases } from './lease-cases.ts';
import { memoryCases } from './memory-cases.ts';
import { runCases } from './run-cases.ts';
import { sessionCases } from './session-cases.ts';
import { sessionFixture, uid } from './store-fixtures.ts';

export { contentEvent, runFixture, sessionFixture } from './store-fixtures.ts';

export interface StoreUnderTest {
  /** A store to test; called once per suite. */
  create(): Promise<Store>;
  /**
   * Makes the store's backend fail (close the connection, stop the server);
   * without it the error tests are skipped with a note.
   */
  breakBackend?(store: Store): Promise<void>;
}

export function storeConformanceSuite(name: string, subject: StoreUnderTest): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    const setup = async () => {
      store ??= await subject.create();
      return store;
    };

    sessionCases(setup);
    runCases(setup);
    eventCases(setup);
    memoryCases(setup);
    leaseCases(setup);
    cacheCases(setup);

    // Only adapters whose backend can fail (not MemoryStore) define breakBackend.
    if (subject.breakBackend) {
      const breakBackend = subject.breakBackend;
      describe('errors', () => {
        it('reports a failing backend as STORE_ERROR, never as missing data', async () => {
          const broken = await subject.create();
          const session = await broken.createSession(sessionFixture(uid('u')));
          await breakBackend(broken);
          const attempts: (() => Promise<unknown>)[] = [
            () => broken.getSession(session),
            () => broken.listSessions({ userId: session.userId }),
            () => broken.createSession(sessionFixture(uid('u'))),
            () => broken.getRun({ userId: session.userId, runId: 'r' }),
            ...(broken.getRuns
              ? [() => broken.getRuns!([{ userId: session.userId, runId: 'r' }])]
              : []),
            ...(broken.getStopRequests
              ? [() => broken.getStopRequests!([{ userId: session.userId, runId: 'r' }])]
              : []),
            () => broken.listRuns({ userId: session.userId, sessionId: session.sessionId }),
            () => broken.readEvents({ userId: session.userId, runId: 'r' }),
            ...(broken.readEventBatches
              ? [() => broken.readEventBatches!([{ userId: session.userId, runId: 'r' }])]
              : []),
            () => broken.listMemories({ userId: session.userId }),
            () => broken.acquireLease({ key: 'k', owner: 'o', ttlMs: 1000 }),
          ];
          for (const attempt of attempts) {
            const error = await attempt().then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(AgentRpcError);
            expect(error).toMatchObject({ code: 'STORE_ERROR' });
          }
        });
      });
    }
  });
}
