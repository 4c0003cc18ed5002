// @agentrpc/core/internal: plumbing shared by agentrpc's own packages (the
// server and the store adapters). It is not public API and may change in any release.

export { withoutStackTrace } from '../errors.ts';
export {
  consumeFeed,
  createFeed,
  type Feed,
  type FeedControl,
  type FeedSink,
  isFeed,
  mapFeed,
  pushTo,
  type StartFeed,
} from '../run/event-feed.ts';
export { sessionLeaseKey } from '../session/session-lease.ts';
export {
  type CursorPosition,
  clampLimit,
  decodeCursor,
  encodeCursor,
  pageOfSessions,
} from '../store/cursor.ts';
export { joinedRuns } from '../store/joined-runs.ts';
export { storedEventsText, storedEventText, withRunId } from '../store/stored-events.ts';
