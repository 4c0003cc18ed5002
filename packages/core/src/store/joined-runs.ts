// One task at a time, where a call made while it runs joins the next run
// instead of queueing one of its own: the next run starts when the current one
// ends and takes whatever has piled up by then. The server's event log (its
// flushes) and MongoStore's live feed (its page reads) both need exactly this:
// every caller must see work begun after its call, and under load many callers
// share one store round trip.

/** Returns the function to call; each call resolves when a run begun after it has ended. */
export function joinedRuns(task: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> = Promise.resolve();
  let next: Promise<void> | undefined;
  return () => {
    if (next) return next;
    const run = current
      .catch(() => undefined) // that failure was its own callers' to see
      .then(() => {
        next = undefined;
        return task();
      });
    next = run;
    current = run;
    return run;
  };
}
