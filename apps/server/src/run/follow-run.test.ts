import { MemoryStore, type RunEvent, type Store } from '@agentrpc/core';
import { createFeed, type Feed, type FeedSink, pushTo } from '@agentrpc/core/internal';
import { contentEvent, runFixture, sessionFixture } from '@agentrpc/core/testing';
import { describe, expect, it } from 'vitest';
import { followRun, type Relay } from './follow-run.ts';
import { LogPoller } from './log-poller.ts';
import { RunHub } from './run-hub.ts';

/** Follows run r of user u from its start, live on `hub`. */
const followLive = (hub: RunHub) =>
  followRun({ store: new MemoryStore(), hubOf: () => hub, userId: 'u', runId: 'r', afterSeq: 0 });

/** Reads `feed` as it pushes, noting each seq; with `wantMore` false it pauses after the next event. */
function readByPush(feed: Feed<RunEvent>) {
  const reader = { seen: [] as number[], wantMore: true, ended: false };
  const control = feed[pushTo]({
    value: (event) => {
      reader.seen.push(event.seq);
      return reader.wantMore;
    },
    end: () => {
      reader.ended = true;
    },
    fail: (error) => {
      throw error;
    },
  });
  return Object.assign(reader, { control });
}

/** `store`, calling `beforeRead` before each call of the methods named (by default the run record's reads). */
function beforeReads(
  store: Store,
  beforeRead: () => Promise<void> | void,
  methods: readonly (keyof Store)[] = ['getRun', 'getRuns'],
): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const bound = value.bind(target);
      if (!methods.includes(property as keyof Store)) return bound;
      return async (...args: unknown[]) => {
        await beforeRead();
        return bound(...args);
      };
    },
  }) as Store;
}

/** Follows run `runId` of user u from its start through the log alone, polled every 10 ms. */
function followPolled(store: Store, runId: string) {
  const poller = new LogPoller({ store, pollMs: 10 });
  const reader = readByPush(
    followRun({ store, hubOf: () => undefined, userId: 'u', runId, afterSeq: 0, poller }),
  );
  return { poller, reader };
}

/** The store's reads of the event log. */
const eventReads: (keyof Store)[] = ['readEvents', 'readEventBatches'];

/** A running run of user u with `count` content events, the first `logged` of them in a store's log. */
async function runWithEvents(count: number, logged: number) {
  const store = new MemoryStore();
  const session = await store.createSession(sessionFixture('u'));
  const run = runFixture(session, { status: 'running' });
  await store.appendRun(run);
  const events = Array.from({ length: count }, (_, i) => contentEvent(run.runId, i + 1));
  if (logged > 0) await store.appendEvents(run, events.slice(0, logged));
  return { store, run, events };
}

/**
 * A relay the test scripts: `start` runs when it is asked, and may return
 * what to do on resume; by default it says nothing until the test uses `sink`.
 */
function scriptedRelay(start: (sink: FeedSink<RunEvent>) => unknown = () => undefined) {
  const script = {
    sink: undefined as FeedSink<RunEvent> | undefined,
    asked: [] as number[],
    failures: [] as unknown[],
    relay: {
      follow: (afterSeq: number) => {
        script.asked.push(afterSeq);
        return createFeed<RunEvent>((sink) => {
          script.sink = sink;
          const onResume = start(sink);
          const resume = typeof onResume === 'function' ? (onResume as () => void) : () => {};
          return { resume, stop: () => {} };
        });
      },
      onFailure: (error: unknown) => {
        script.failures.push(error);
      },
    } satisfies Relay,
  };
  return script;
}

/** Follows run `runId` of user u from its start, with `relay` beside a log polled every 10 ms. */
const followRelayed = (store: Store, runId: string, relay: Relay) =>
  followRun({
    store,
    hubOf: () => undefined,
    userId: 'u',
    runId,
    afterSeq: 0,
    poller: new LogPoller({ store, pollMs: 10 }),
    relay,
  });

describe('followRun', () => {
  it('yields the log in order and waits at a gap instead of spinning', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'running' });
    await store.appendRun(run);
    await store.appendEvents(run, [
      contentEvent(run.runId, 1),
      contentEvent(run.runId, 2),
      contentEvent(run.runId, 4),
    ]);
    let reads = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'readEvents') reads++;
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const signal = AbortSignal.timeout(350);
    const seen: number[] = [];
    for await (const event of followRun({
      store: counting,
      hubOf: () => undefined,
      userId: 'u',
      runId: run.runId,
      afterSeq: 0,
      signal,
    })) {
      seen.push(event.seq);
    }
    expect(seen).toEqual([1, 2]);
    // One read per poll (every 100 ms), not thousands.
    expect(reads).toBeLessThanOrEqual(6);
  });

  it('reads the run’s record once a round of polls while it streams, and ends when it is gone', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'running' });
    await store.appendRun(run);
    let recordReads = 0;
    const counting = beforeReads(store, () => {
      recordReads++;
    });
    // Rounds of 10 polls of 10 ms; the run adds an event every 25 ms, so most polls find one.
    const { poller, reader } = followPolled(counting, run.runId);
    const started = poller.round;
    for (let seq = 1; seq <= 16; seq++) {
      await store.appendEvents(run, [contentEvent(run.runId, seq)]);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reader.seen).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const rounds = poller.round - started + 1;
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(recordReads).toBeGreaterThanOrEqual(1);
    expect(recordReads).toBeLessThanOrEqual(rounds);
    // Its session deleted: the record is gone, and the reader ends within a round.
    await store.deleteSession({ userId: 'u', sessionId: session.sessionId });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(reader.ended).toBe(true);
  });

  it('goes on polling while the run’s record is slow to come', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'running' });
    await store.appendRun(run);
    // Record reads wait until let through, as on a store whose pool is busy.
    let letThrough = () => {};
    const through = new Promise<void>((resolve) => {
      letThrough = resolve;
    });
    let recordReads = 0;
    const slowRecords = beforeReads(store, () => {
      recordReads++;
      return through;
    });
    const { reader } = followPolled(slowRecords, run.runId);
    await store.appendEvents(run, [contentEvent(run.runId, 1)]);
    await expect.poll(() => recordReads).toBe(1);
    // The look at the record hangs; what the log gets meanwhile still comes.
    await store.appendEvents(run, [contentEvent(run.runId, 2), contentEvent(run.runId, 3)]);
    await expect.poll(() => reader.seen).toEqual([1, 2, 3]);
    expect(recordReads).toBe(1); // one look at a time
    letThrough();
    await store.appendEvents(run, [
      { type: 'run.cancelled', runId: run.runId, seq: 4, createdAt: 0 } as RunEvent,
    ]);
    await expect.poll(() => reader.ended).toBe(true);
    expect(reader.seen).toEqual([1, 2, 3, 4]);
  });

  it('ends after the terminal event, and at once for a finished run with nothing new', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'completed', lastSeq: 2 });
    await store.appendRun(run);
    const done: RunEvent = {
      type: 'run.completed',
      runId: run.runId,
      seq: 2,
      createdAt: 0,
      output: run,
    };
    await store.appendEvents(run, [contentEvent(run.runId, 1), done]);
    const all: number[] = [];
    for await (const event of followRun({
      store,
      hubOf: () => undefined,
      userId: 'u',
      runId: run.runId,
      afterSeq: 0,
    }))
      all.push(event.seq);
    expect(all).toEqual([1, 2]);
    const after: number[] = [];
    for await (const event of followRun({
      store,
      hubOf: () => undefined,
      userId: 'u',
      runId: run.runId,
      afterSeq: 2,
    }))
      after.push(event.seq);
    expect(after).toEqual([]);
  });

  it('hands live events over as the hub gets them, pausing when the reader asks', () => {
    const hub = new RunHub();
    hub.push(contentEvent('r', 1));
    const reader = readByPush(followLive(hub));
    expect(reader.seen).toEqual([1]); // already held by the hub: delivered before pushTo returns
    hub.push(contentEvent('r', 2));
    expect(reader.seen).toEqual([1, 2]); // in the same call as the hub's push
    reader.wantMore = false;
    hub.push(contentEvent('r', 3));
    hub.push(contentEvent('r', 4));
    hub.push(contentEvent('r', 5));
    expect(reader.seen).toEqual([1, 2, 3]); // paused after 3
    reader.wantMore = true;
    reader.control.resume();
    expect(reader.seen).toEqual([1, 2, 3, 4, 5]);
    hub.push({ type: 'run.cancelled', runId: 'r', seq: 6, createdAt: 0 } as RunEvent);
    expect(reader.seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reader.ended).toBe(true);
  });

  it('reads from the log what the hub let go while the reader was paused, then goes on live', async () => {
    const store = new MemoryStore();
    const session = await store.createSession(sessionFixture('u'));
    const run = runFixture(session, { status: 'running' });
    await store.appendRun(run);
    const hub = new RunHub();
    const push = (seq: number) => hub.push(contentEvent(run.runId, seq));
    push(1);
    const reader = readByPush(
      followRun({ store, hubOf: () => hub, userId: 'u', runId: run.runId, afterSeq: 0 }),
    );
    reader.wantMore = false;
    push(2); // delivered, then the reader pauses
    push(3);
    push(4);
    // The log stores 1–4 and the hub lets them go: the paused reader's 3 and 4 with them.
    await store.appendEvents(
      run,
      [1, 2, 3, 4].map((seq) => contentEvent(run.runId, seq)),
    );
    hub.trimThrough(4);
    expect(hub.events).toEqual([]);
    expect(hub.firstSeq).toBe(5);
    reader.wantMore = true;
    reader.control.resume();
    await expect.poll(() => reader.seen).toEqual([1, 2, 3, 4]);
    // Caught up, it is live again: the next event comes in the hub's own call.
    push(5);
    expect(reader.seen).toEqual([1, 2, 3, 4, 5]);
    hub.push({ type: 'run.cancelled', runId: run.runId, seq: 6, createdAt: 0 } as RunEvent);
    expect(reader.seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reader.ended).toBe(true);
  });

  it('keeps a failing reader from failing the run that pushes to it', () => {
    const hub = new RunHub();
    hub.push(contentEvent('r', 1));
    const failures: unknown[] = [];
    followLive(hub)[pushTo]({
      value: (event) => {
        if (event.seq > 1) throw new Error('socket gone');
        return true;
      },
      end: () => {},
      fail: (error) => failures.push(error),
    });
    expect(() => hub.push(contentEvent('r', 2))).not.toThrow();
    expect(() => hub.push(contentEvent('r', 3))).not.toThrow();
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toContain('socket gone');
  });

  describe('with a relay', () => {
    it('takes the relay in order, and reads the store on from where a skipping relay got to', async () => {
      const { store, run, events } = await runWithEvents(4, 4);
      // Events 1 and 2 (and 1 again), then one past a gap: the relay cannot be trusted past it.
      const script = scriptedRelay((sink) => {
        for (const event of [events[0], events[1], events[0], events[3]]) {
          if (!sink.value(event as RunEvent)) break;
        }
      });
      const reader = readByPush(followRelayed(store, run.runId, script.relay));
      await expect.poll(() => reader.seen).toEqual([1, 2, 3, 4]);
      expect(script.asked).toEqual([0]);
      expect(String(script.failures[0])).toContain('skipped from seq 2 to 4');
      reader.control.stop();
    });

    it('reads the log while the relay connects, and takes each event once from whichever has it first', async () => {
      const { store, run, events } = await runWithEvents(5, 3);
      const script = scriptedRelay();
      const reader = readByPush(followRelayed(store, run.runId, script.relay));
      // The relay has not answered: the logged events come from the store.
      await expect.poll(() => reader.seen).toEqual([1, 2, 3]);
      // It answers from the start; what the store gave is not given again.
      for (const event of events) script.sink?.value(event);
      expect(reader.seen).toEqual([1, 2, 3, 4, 5]);
      // The log catches up behind the relay: nothing more, and the relay is kept.
      await store.appendEvents(run, events.slice(3));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reader.seen).toEqual([1, 2, 3, 4, 5]);
      expect(script.failures).toEqual([]);
      reader.control.stop();
    });

    it('polls the store while the relay is silent, and not once it answers', async () => {
      const { store, run, events } = await runWithEvents(3, 1);
      let reads = 0;
      const counting = beforeReads(
        store,
        () => {
          reads++;
        },
        eventReads,
      );
      const script = scriptedRelay();
      const reader = readByPush(followRelayed(counting, run.runId, script.relay));
      // The store has event 1, and is polled every 10 ms while the relay says nothing.
      await expect.poll(() => reads).toBeGreaterThan(3);
      expect(reader.seen).toEqual([1]);
      for (const event of events) script.sink?.value(event);
      expect(reader.seen).toEqual([1, 2, 3]);
      // Some ten polls' time: the relay streams, the store is left alone (a
      // poll under way when it answered may still end).
      const readsOnceAnswered = reads;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reads - readsOnceAnswered).toBeLessThanOrEqual(1);
      reader.control.stop();
    });

    it('leaves the run to the relay when the store fails beside it, and fails when the relay stops too', async () => {
      const { store, run, events } = await runWithEvents(2, 0);
      let reads = 0;
      const failing = beforeReads(
        store,
        () => {
          reads++;
          throw new Error('the store is down');
        },
        eventReads,
      );
      const script = scriptedRelay();
      const reader = { seen: [] as number[], failed: undefined as unknown };
      followRelayed(failing, run.runId, script.relay)[pushTo]({
        value: (event) => reader.seen.push(event.seq) > 0,
        end: () => {},
        fail: (error) => {
          reader.failed = error;
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      // One read failed; the reader waits for the relay, unharmed and without polling on.
      expect(reads).toBe(1);
      expect(reader.failed).toBeUndefined();
      for (const event of events) script.sink?.value(event);
      expect(reader.seen).toEqual([1, 2]);
      // The relay is cut: the store is read on, and its failure now ends reading.
      script.sink?.fail(new Error('cut'));
      await expect.poll(() => String(reader.failed)).toContain('the store is down');
      expect(reads).toBe(2);
    });

    it('keeps a relayed event for a reader the store’s events paused, until it asks for more', async () => {
      const { store, run, events } = await runWithEvents(4, 1);
      // Answers 5 ms in, from the start, pausing whenever its reader asks.
      const script = scriptedRelay((sink) => {
        let next = 0;
        const push = () => {
          while (next < events.length) {
            if (!sink.value(events[next++] as RunEvent)) return;
          }
        };
        setTimeout(push, 5);
        return push;
      });
      const reader = readByPush(followRelayed(store, run.runId, script.relay));
      reader.wantMore = false;
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(reader.seen).toEqual([1]);
      reader.wantMore = true;
      reader.control.resume();
      expect(reader.seen).toEqual([1, 2, 3, 4]);
      expect(script.failures).toEqual([]);
      reader.control.stop();
    });

    it('takes from the store read what it has beyond what the relay delivered meanwhile', async () => {
      const { store, run, events } = await runWithEvents(5, 4);
      // The store's reads take 30 ms; the relay answers with the first two events
      // while the first read is under way, and with the rest when the test says.
      const slowReads = beforeReads(
        store,
        () => new Promise((resolve) => setTimeout(resolve, 30)),
        ['readEvents'],
      );
      const script = scriptedRelay((sink) => {
        setTimeout(() => {
          for (const event of events.slice(0, 2)) sink.value(event);
        }, 5);
      });
      const reader = readByPush(followRelayed(slowReads, run.runId, script.relay));
      await expect.poll(() => reader.seen).toEqual([1, 2, 3, 4]);
      for (const event of events) script.sink?.value(event);
      expect(reader.seen).toEqual([1, 2, 3, 4, 5]);
      expect(script.failures).toEqual([]);
      reader.control.stop();
    });
  });
});
