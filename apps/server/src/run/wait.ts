// Waiting without leaks: every timer and abort listener is removed when the wait ends.
import type { RunHub } from './run-hub.ts';

/** Waits `ms`, or less if `signal` aborts; leaves no timer or listener behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when the hub changes or the reader goes away. */
export function waitForChange(hub: RunHub, signal?: AbortSignal): Promise<void> {
  if (!signal) return hub.changed();
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void hub.changed().then(done);
  });
}
