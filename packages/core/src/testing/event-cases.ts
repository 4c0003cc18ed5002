// Store conformance, the event log: idempotent appends, reads after a seq,
// batches across runs, and each user's runs kept apart.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../run/events.ts';
import type { Store } from '../store/types.ts';
import { contentEvent, runFixture, sessionFixture, uid } from './store-fixtures.ts';

/** The cases of this part; `setup` gives the suite's store. */
export function eventCases(setup: () => Promise<Store>): void {
  describe('events', () => {
    it('appends idempotently by (runId, seq) and reads after a seq', async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const run = runFixture(session);
      await s.appendRun(run);
      await s.appendEvents(run, [contentEvent(run.runId, 1), contentEvent(run.runId, 2)]);
      await s.appendEvents(run, [contentEvent(run.runId, 2, 'again'), contentEvent(run.runId, 3)]);
      const all = await s.readEvents(run);
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(all[1]).toMatchObject({ delta: 'd2' });
      expect((await s.readEvents({ ...run, afterSeq: 1 })).map((e) => e.seq)).toEqual([2, 3]);
      expect((await s.readEvents({ ...run, afterSeq: 0, limit: 2 })).map((e) => e.seq)).toEqual([
        1, 2,
      ]);
      expect(await s.readEvents({ userId: uid('stranger'), runId: run.runId })).toEqual([]);
    });

    it('keeps whole events, terminal ones with their output included', async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const run = runFixture(session);
      await s.appendRun(run);
      const done: RunEvent = {
        type: 'run.completed',
        runId: run.runId,
        seq: 1,
        createdAt: Date.now(),
        output: run,
      };
      await s.appendEvents(run, [done]);
      expect(await s.readEvents(run)).toEqual([done]);
    });

    it("appends several runs' events in one call, or none when one run is not the user's", async () => {
      const s = await setup();
      if (!s.appendEventBatches) return; // optional: callers then append run by run
      const session = await s.createSession(sessionFixture(uid('u')));
      const [a, b] = [runFixture(session), runFixture(session)];
      await s.appendRun(a);
      await s.appendRun(b);
      await s.appendEventBatches([
        { key: a, events: [contentEvent(a.runId, 1), contentEvent(a.runId, 2)] },
        { key: b, events: [contentEvent(b.runId, 1)] },
      ]);
      // Again with one more each: idempotent by (runId, seq).
      await s.appendEventBatches([
        { key: a, events: [contentEvent(a.runId, 2, 'again'), contentEvent(a.runId, 3)] },
        { key: b, events: [contentEvent(b.runId, 2)] },
      ]);
      expect((await s.readEvents(a)).map((e) => [e.seq, 'delta' in e && e.delta])).toEqual([
        [1, 'd1'],
        [2, 'd2'],
        [3, 'd3'],
      ]);
      expect((await s.readEvents(b)).map((e) => e.seq)).toEqual([1, 2]);
      const stranger = { userId: uid('stranger'), runId: b.runId };
      await expect(
        s.appendEventBatches([
          { key: a, events: [contentEvent(a.runId, 4)] },
          { key: stranger, events: [contentEvent(b.runId, 3)] },
        ]),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await s.readEvents(a)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect((await s.readEvents(b)).map((e) => e.seq)).toEqual([1, 2]);
    });

    it("reads several runs' events in one call, each after its own seq, only the user's", async () => {
      const s = await setup();
      if (!s.readEventBatches) return; // optional: callers then read run by run
      const session = await s.createSession(sessionFixture(uid('u')));
      const [a, b, c] = [runFixture(session), runFixture(session), runFixture(session)];
      for (const run of [a, b, c]) await s.appendRun(run);
      await s.appendEvents(
        a,
        [1, 2, 3].map((seq) => contentEvent(a.runId, seq)),
      );
      await s.appendEvents(
        b,
        [1, 2].map((seq) => contentEvent(b.runId, seq)),
      );
      const seqs = (lists: RunEvent[][]) => lists.map((list) => list.map((e) => e.seq));
      expect(
        seqs(
          await s.readEventBatches([
            { ...b, afterSeq: 1 },
            { ...a, afterSeq: 0, limit: 2 },
            { ...a, afterSeq: 2 },
            { ...c, afterSeq: 0 },
            { userId: uid('stranger'), runId: a.runId },
          ]),
        ),
      ).toEqual([[2], [1, 2], [3], [], []]);
      expect(await s.readEventBatches([])).toEqual([]);
    });

    it("refuses events for another user's run", async () => {
      const s = await setup();
      const session = await s.createSession(sessionFixture(uid('u')));
      const run = runFixture(session);
      await s.appendRun(run);
      await expect(
        s.appendEvents({ userId: uid('stranger'), runId: run.runId }, [contentEvent(run.runId, 1)]),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await s.readEvents(run)).toEqual([]);
    });
  });
}
