// A one-reader queue of run events. The run pushes without waiting, so it is
// never slowed by its reader; the reader iterates. A reader that stops early
// (break, return) triggers `onAbandon`, which cancels the run.
import type { RunEvent } from './events.ts';

export class EventChannel implements AsyncIterableIterator<RunEvent> {
  #buffer: RunEvent[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<RunEvent>) => void) | undefined;
  #failWaiting: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;
  #abandoned = false;
  readonly #onAbandon: () => void;

  constructor(onAbandon: () => void) {
    this.#onAbandon = onAbandon;
  }

  /** True once the reader has gone. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  push(event: RunEvent): void {
    if (this.#ended) return;
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
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = undefined;
  }

  /** Ends with an error thrown to the reader after the buffered events. */
  fail(error: unknown): void {
    this.#error = error;
    this.#ended = true;
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
}
