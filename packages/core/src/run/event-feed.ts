// A stream of values readable two ways: pushed to a sink, in the same call
// that produced each value (no promise per value), or pulled as an async
// iterable. A run's events are such a feed, and so is a server subscription
// that follows one; the server's transports take them pushed, so an event
// goes from the model's stream to the client's socket in one call. Under load
// a promise and an await per event at every layer were a large share of a
// server's work.

export const pushTo = Symbol('agentrpc.pushTo');

export interface FeedSink<T> {
  /** Takes the next value; false asks for no more until the control's `resume()`. */
  value(value: T): boolean;
  /** No more values. */
  end(): void;
  /** The feed failed; no more values. */
  fail(error: unknown): void;
}

export interface FeedControl {
  /** Goes on after a sink asked for a pause. */
  resume(): void;
  /** Stops without another call to the sink. */
  stop(): void;
}

/** Starts delivering to `sink`; may deliver (and even end) before it returns. */
export type StartFeed<T> = (sink: FeedSink<T>) => FeedControl;

export interface Feed<T> extends AsyncIterable<T> {
  [pushTo]: StartFeed<T>;
}

export function isFeed(value: unknown): value is Feed<unknown> {
  return typeof value === 'object' && value !== null && pushTo in value;
}

export function createFeed<T>(start: StartFeed<T>): Feed<T> {
  return { [pushTo]: start, [Symbol.asyncIterator]: () => pull(start) };
}

/** The same feed with each value passed through `map` and each failure through `mapError`. */
export function mapFeed<T, U>(
  feed: Feed<T>,
  map: (value: T) => U,
  mapError: (error: unknown) => unknown,
): Feed<U> {
  return createFeed((sink) =>
    feed[pushTo]({
      value: (value) => sink.value(map(value)),
      end: () => sink.end(),
      fail: (error) => sink.fail(mapError(error)),
    }),
  );
}

/** Reads a feed as an async iterator, holding at most one value the reader has not asked for. */
function pull<T>(start: StartFeed<T>): AsyncIterableIterator<T> {
  let held: { value: T } | undefined;
  let over: { error: unknown } | { done: true } | undefined;
  let waiting:
    | { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }
    | undefined;
  let control: FeedControl | undefined;
  const settle = () => {
    const reader = waiting;
    if (!reader || !over) return;
    waiting = undefined;
    if ('error' in over) reader.reject(over.error);
    else reader.resolve({ value: undefined, done: true });
  };
  const sink: FeedSink<T> = {
    value(value) {
      const reader = waiting;
      if (reader) {
        waiting = undefined;
        reader.resolve({ value, done: false });
        return true;
      }
      held = { value };
      return false;
    },
    end() {
      over ??= { done: true };
      settle();
    },
    fail(error) {
      over ??= { error };
      settle();
    },
  };
  return {
    next() {
      if (held) {
        const { value } = held;
        held = undefined;
        if (!over) control?.resume();
        return Promise.resolve({ value, done: false });
      }
      if (over) {
        return 'error' in over
          ? Promise.reject(over.error)
          : Promise.resolve({ value: undefined, done: true });
      }
      const next = new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = { resolve, reject };
      });
      control ??= start(sink);
      return next;
    },
    async return() {
      if (!over) control?.stop();
      over = { done: true };
      held = undefined;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Pushes a feed into `take` until it ends (resolves), fails (rejects) or
 * `signal` aborts (resolves). `take` returns true for more at once, or a
 * promise (e.g. for a socket to drain) to pause the feed until it settles.
 * A `take` that throws stops the feed and rejects with what it threw.
 * Any other async iterable is iterated the same way: a promise from `take` is
 * waited for, and a `take` that throws (or an abort) closes the iterable.
 */
export function consumeFeed<T>(
  values: Feed<T> | AsyncIterable<T>,
  take: (value: T) => true | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (!isFeed(values)) return iterate(values, take, signal);
  const feed: Feed<T> = values;
  return new Promise((resolve, reject) => {
    let control: FeedControl | undefined;
    let over = false;
    const finish = (error?: { error: unknown }) => {
      if (over) return;
      over = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error.error);
      else resolve();
    };
    const onAbort = () => {
      control?.stop();
      finish();
    };
    control = feed[pushTo]({
      value(value) {
        if (over) return false;
        let more: true | Promise<void>;
        try {
          more = take(value);
        } catch (error) {
          // Stopped after this call returns, so the source is not stopped from inside its own push.
          queueMicrotask(() => control?.stop());
          finish({ error });
          return false;
        }
        if (more === true) return true;
        more.then(
          () => control?.resume(),
          () => control?.resume(),
        );
        return false;
      },
      end: () => finish(),
      fail: (error) => finish({ error }),
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** consumeFeed for an async iterable that is not a feed: one value at a time. */
async function iterate<T>(
  values: AsyncIterable<T>,
  take: (value: T) => true | Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const iterator = values[Symbol.asyncIterator]();
  /** The iterator ended or failed on its own: nothing to close. */
  let over = false;
  try {
    for (;;) {
      over = true;
      const next = await iterator.next();
      if (next.done) break;
      over = false;
      if (signal?.aborted) break;
      const more = take(next.value);
      if (more !== true) await more;
    }
  } finally {
    // Left early (aborted, or `take` threw): close the iterator, as for-await does.
    if (!over) await iterator.return?.();
  }
}
