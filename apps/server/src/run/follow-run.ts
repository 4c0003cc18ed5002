// Reading a run's events for a subscriber: replay from the store's event log,
// follow the live hub when the run is in this process, stream it from the
// instance running it when that one can be asked (a relay, peer/peers.ts; the
// log is polled beside it until it first answers, each event taken once, from
// whichever has it first), and otherwise poll the log (with every other such
// reader, log-poller.ts), until the terminal event (a pause that was continued
// is not one). Events from the live hub are handed to the subscriber as the
// hub gets them, in the same call.
import { isTerminalEvent, type RunEvent, type Store } from '@agentrpc/core';
import {
  createFeed,
  type Feed,
  type FeedControl,
  type FeedSink,
  pushTo,
} from '@agentrpc/core/internal';
import { LogPoller } from './log-poller.ts';
import type { RunHub } from './run-hub.ts';

/** How often a reader polls the store for a run that is live elsewhere. */
export const pollMs = 100;
/** Events read from the store at once. */
const readLimit = 500;

/** The run's events from the instance running it. */
export interface Relay {
  /** Its events after `afterSeq`, in order, ending where that instance's readers end. */
  follow: (afterSeq: number) => Feed<RunEvent>;
  /** The relay failed; reading goes on from the store. */
  onFailure: (error: unknown) => void;
}

export interface FollowOptions {
  store: Store;
  /** The run's live hub in this process, if it has one for this user. */
  hubOf: () => RunHub | undefined;
  userId: string;
  runId: string;
  /** Deliver only events after this seq. */
  afterSeq: number;
  signal?: AbortSignal;
  /** Counts readers while they read (a gauge). */
  readers?: { inc(): void; dec(): void };
  /** Polls the log with every other reader of this process (default: a poller of its own). */
  poller?: LogPoller;
  /** Tried first when the run is not live here; when it ends or fails, the store is read on. */
  relay?: Relay;
}

export function followRun(options: FollowOptions): Feed<RunEvent> {
  return createFeed((sink) => follow(options, sink));
}

function follow(options: FollowOptions, sink: FeedSink<RunEvent>): FeedControl {
  const { store, userId, runId, signal } = options;
  const poller = options.poller ?? new LogPoller({ store, pollMs });
  let last = options.afterSeq;
  let over = false;
  let paused = false;
  /** A store read or poll is in flight; it goes on by itself when done. */
  let reading = false;
  let pumping = false;
  let pumpAgain = false;
  /** The last read reached the end of the log: the next waits for the poller. */
  let atEnd = false;
  /** The poller's round in which the run's record was last read, and whether the last event delivered was a pause. */
  let lookedInRound: number | undefined;
  let lastWasPause = false;
  /** The run's record is being read (see lookAtRecord). */
  let looking = false;
  let watched: RunHub | undefined;
  let unwatch: (() => void) | undefined;
  /**
   * The relay is tried once: asked ('connecting', the store polled beside it),
   * then 'live' from its first event on, 'done' when it stopped.
   */
  let relay: 'unused' | 'connecting' | 'live' | 'done' = options.relay ? 'unused' : 'done';
  let relayControl: FeedControl | undefined;
  /** The relay's next event, come while the store's events had the reader paused. */
  let heldFromRelay: RunEvent | undefined;

  const finish = (how: 'end' | 'stop' | { error: unknown }) => {
    if (over) return;
    over = true;
    dropRelay();
    unwatch?.();
    signal?.removeEventListener('abort', pump);
    options.readers?.dec();
    if (how === 'end') sink.end();
    else if (how !== 'stop') sink.fail(how.error);
  };

  /** Hands one event over; false when reading must stop here (paused or over). */
  const deliver = (event: RunEvent): boolean => {
    last = event.seq;
    lastWasPause = event.type === 'run.paused';
    let more: boolean;
    try {
      more = sink.value(event);
    } catch (error) {
      // A failing subscriber must not fail the run that is pushing to it.
      finish({ error });
      return false;
    }
    // A pause ends a run only if nothing came after it: read from the start, a
    // run that was continued goes on past its pause to its final end. Whether
    // the run is still paused is seen below (the hub is done, or the record says so).
    if (isTerminalEvent(event) && event.type !== 'run.paused') {
      finish('end');
      return false;
    }
    paused = !more;
    return more;
  };

  const step = () => {
    if (over || paused || reading) return;
    if (signal?.aborted) return finish('end');
    // A hub once watched serves until it is done, and then reading ends.
    const hub = watched ?? options.hubOf();
    if (hub && hub.firstSeq <= last + 1) {
      if (hub !== watched) {
        unwatch?.();
        unwatch = hub.watch(pump);
        watched = hub;
      }
      // By index: whatever arrived since the last pass is read in this one.
      for (let i = last + 1 - hub.firstSeq; i < hub.events.length; i++) {
        if (!deliver(hub.events[i] as RunEvent)) return;
      }
      if (hub.done) finish('end');
      return;
    }
    if (relay === 'live') {
      const held = heldFromRelay;
      heldFromRelay = undefined;
      if (held && held.seq === last + 1 && !deliver(held)) return;
      return relayControl?.resume();
    }
    if (relay === 'unused') {
      // The store is polled too until the relay answers: an instance busy
      // enough to be slow to answer has its first events logged by then.
      startRelay();
      if (over || paused) return;
    }
    reading = true;
    readLog().then(
      (goOn) => {
        reading = false;
        if (goOn) pump();
      },
      (error: unknown) => {
        reading = false;
        // Beside a relay, the store is only a head start: polling stops and
        // the relay carries the run; should it stop, the store is read again,
        // and a failure there ends reading then.
        if (relay !== 'done') return;
        finish({ error });
      },
    );
  };

  /** Streams the run from the instance running it; falls back to the store when that stops short. */
  const startRelay = () => {
    relay = 'connecting';
    let dropped = false;
    const fallBack = (error?: unknown) => {
      if (dropped || over) return;
      dropped = true;
      dropRelay();
      if (error !== undefined) options.relay?.onFailure(error);
      pump();
    };
    const feed = (options.relay as Relay).follow(last);
    const control = feed[pushTo]({
      value: (event) => {
        if (dropped || over) return false;
        relay = 'live';
        if (event.seq <= last) return true; // delivered already
        if (event.seq !== last + 1) {
          fallBack(new Error(`the relay skipped from seq ${last} to ${event.seq}`));
          return false;
        }
        if (paused) {
          heldFromRelay = event;
          return false;
        }
        return deliver(event);
      },
      end: () => fallBack(),
      fail: (error) => fallBack(error),
    });
    if (dropped || over) control.stop();
    else relayControl = control;
  };

  const dropRelay = () => {
    if (relay === 'connecting' || relay === 'live') relay = 'done';
    relayControl?.stop();
    relayControl = undefined;
    heldFromRelay = undefined; // the store will have it too: the log holds every event
  };

  /** One pass over the stored log; false when reading must stop here. */
  const readLog = async (): Promise<boolean> => {
    const before = last;
    const query = { userId, runId, afterSeq: last, limit: readLimit };
    const events = atEnd ? await poller.next(query, signal) : await store.readEvents(query);
    if (signal?.aborted) return !over; // the next step ends it
    for (const event of events) {
      if (over) break;
      if (event.seq <= last) continue; // the relay delivered it meanwhile
      if (event.seq !== last + 1) break; // a gap: the rest is still being written
      if (!deliver(event)) return false;
    }
    if (over) return false;
    atEnd = events.length < readLimit || last !== events.at(-1)?.seq;
    // While the relay is asked, it ends reading when the run ends.
    if (last !== before || relay !== 'done') return true;
    // Nothing new in the log. A run that ends writes its terminal event there,
    // so its record is read only to see whether a pause still holds, and once
    // a round of polls for a run that is gone (its session deleted). Polling
    // goes on meanwhile: under load the record can take seconds to come, and
    // events written by then must not wait for it.
    if (!looking && (lastWasPause || lookedInRound !== poller.round)) {
      lookedInRound = poller.round;
      lookAtRecord();
    }
    return true;
  };

  /** Ends reading when the run is gone, or has ended (or paused) with nothing left to deliver. */
  const lookAtRecord = () => {
    looking = true;
    const lastAtLook = last;
    poller.record({ userId, runId }).then(
      (current) => {
        looking = false;
        // Events delivered since the look was asked for say more than the record read before them.
        if (over || (current && last !== lastAtLook)) return;
        const ended = current && current.status !== 'running' && current.status !== 'pending';
        if (!current || (ended && current.lastSeq <= last)) finish('end');
      },
      (error: unknown) => {
        looking = false;
        finish({ error });
      },
    );
  };

  // Called by the hub on every event, by the signal, and after a store read.
  // A call made while a pass is running asks for one more pass instead.
  function pump() {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        step();
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  options.readers?.inc();
  signal?.addEventListener('abort', pump, { once: true });
  pump();
  return {
    resume: () => {
      paused = false;
      pump();
    },
    stop: () => finish('stop'),
  };
}
