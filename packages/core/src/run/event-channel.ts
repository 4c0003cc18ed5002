// A one-reader queue of run events. The run pushes without waiting, so it is
// never slowed by its reader. The reader iterates, or takes the events pushed
// to a sink (see event-feed.ts), from the first one it has not read. A reader
// that stops early (break, return, stop) triggers `onAbandon`, which cancels
// the run.
import { type Feed, type FeedControl, type FeedSink, pushTo } from './event-feed.ts';
import type { RunEvent } from './events.ts';

/** A run's events: iterate them, or have them pushed (`consumeFeed`). */
export type RunEventStream = AsyncIterableIterator<RunEvent> & Feed<RunEvent>;

export class EventChannel implements RunEventStream {
  #buffer: RunEvent[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<RunEvent>) => void) | undefined;
  #failWaiting: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;
  #abandoned = false;
  readonly #onAbandon: () => void;
  #sink: FeedSink<RunEvent> | undefined;
  #sinkPaused = false;

  constructor(onAbandon: () => void) {
    this.#onAbandon = onAbandon;
  }

  /** True once the reader has gone. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  push(event: RunEvent): void {
    if (this.#ended) return;
    const sink = this.#sink;
    if (sink) {
      // Nothing waits before it: hand it over without a stop in the buffer,
      // whose storage, emptied after every event, was made anew for the next.
      if (this.#head === this.#buffer.length && !this.#sinkPaused) {
        if (!sink.value(event)) this.#sinkPaused = true;
        return;
      }
      this.#buffer.push(event);
      this.#drain();
      return;
    }
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      this.#failWaiting = undefined;
      waiting({ value: event, done: false });
    } else {
      this.#buffer.push(event);
    }
  }

  /**
   * Appends a delta to the last unread event when it is a delta of the same
   * type, so a reader that falls behind gets fewer, larger deltas (and no seq
   * is spent). Returns false when the delta must become an event of its own.
   */
  mergeDelta(type: 'run.content' | 'run.reasoning', delta: string): boolean {
    if (this.#head >= this.#buffer.length) return false;
    const last = this.#buffer[this.#buffer.length - 1];
    if (last?.type !== type) return false;
    last.delta += delta;
    return true;
  }

  /** No more events; the reader finishes after draining what is buffered. */
  end(): void {
    this.#ended = true;
    if (this.#sink) {
      this.#drain();
      return;
    }
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = undefined;
  }

  /** Ends with an error thrown to the reader after the buffered events. */
  fail(error: unknown): void {
    this.#error = error;
    this.#ended = true;
    if (this.#sink) {
      this.#drain();
      return;
    }
    this.#failWaiting?.(error);
    this.#waiting = undefined;
    this.#failWaiting = undefined;
  }

  next(): Promise<IteratorResult<RunEvent>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head++] as RunEvent;
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer = this.#buffer.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<RunEvent>> {
    if (!this.#ended && !this.#abandoned) {
      this.#abandoned = true;
      this.#onAbandon();
    }
    this.#buffer = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RunEvent> {
    return this;
  }

  /** Pushes every unread event to `sink`, and the rest as they come, instead of waiting to be iterated. */
  [pushTo](sink: FeedSink<RunEvent>): FeedControl {
    this.#sink = sink;
    this.#drain();
    return {
      resume: () => {
        this.#sinkPaused = false;
        this.#drain();
      },
      stop: () => {
        this.#sink = undefined;
        void this.return();
      },
    };
  }

  /** Hands the sink what is buffered until it pauses; then the end or failure, once. */
  #drain() {
    const sink = this.#sink;
    while (sink && !this.#sinkPaused && this.#head < this.#buffer.length) {
      const event = this.#buffer[this.#head++] as RunEvent;
      if (!sink.value(event)) this.#sinkPaused = true;
    }
    if (this.#head === this.#buffer.length) {
      if (this.#head > 0) {
        this.#buffer.length = 0;
        this.#head = 0;
      }
      if (this.#ended && this.#sink === sink && sink) {
        this.#sink = undefined;
        if (this.#error !== undefined) sink.fail(this.#error);
        else sink.end();
      }
    }
  }
}
