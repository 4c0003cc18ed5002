// The other side of follow-peer.ts: GET /peer/runs/events?userId&runId&afterSeq,
// asked by another instance on the same store with the shared peer secret as
// a bearer token. A run live here is answered as server-sent events, each a
// `data:` frame with one event, from after `afterSeq` until the run ends or
// pauses; any other run gets 404 and the asking instance reads the store.
// Only instances hold the secret: it reads any user's run, as the store does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunEvent } from '@agentrpc/core';
import { type Feed, type FeedControl, pushTo } from '@agentrpc/core/internal';
import { z } from 'zod';
import { digestOf, matchesDigest } from '../auth/secret-digest.ts';
import type { Logger } from '../observe/logger.ts';
import { id } from '../routers/schemas.ts';

export const peerEventsPath = '/peer/runs/events';

/**
 * Set on this endpoint's answer for a run that is not live here, so the asking
 * instance can tell it from a 404 of whatever else answers at a wrong address.
 */
export const notLiveHeader = 'agentrpc-run-not-live';

/** A comment frame this often keeps a quiet run's stream alive and shows the reader it is. */
export const peerHeartbeatMs = 5_000;

const query = z.strictObject({
  userId: id,
  runId: id,
  afterSeq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export interface PeerEndpointOptions {
  secret: string;
  /** The run's events after `afterSeq` when it is live here, else undefined. */
  liveEvents: (
    request: z.infer<typeof query> & { signal: AbortSignal },
  ) => Feed<RunEvent> | undefined;
  logger: Logger;
  /** Counts the streams open to other instances (a gauge). */
  streams?: { inc(): void; dec(): void };
}

export function peerEndpoint(options: PeerEndpointOptions) {
  const expected = digestOf(options.secret);
  /** The run's feed, or why the request gets none. */
  const feedFor = (
    req: IncomingMessage,
    signal: AbortSignal,
  ): { feed: Feed<RunEvent>; runId: string } | { status: number; error: string } => {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!matchesDigest(digestOf(given), expected)) {
      return { status: 401, error: 'the peer secret is required' };
    }
    if (req.method !== 'GET') return { status: 405, error: 'GET only' };
    const parsed = query.safeParse(
      Object.fromEntries(new URL(req.url ?? '/', 'http://peer').searchParams),
    );
    if (!parsed.success) return { status: 400, error: z.prettifyError(parsed.error) };
    const feed = options.liveEvents({ ...parsed.data, signal });
    if (!feed) return { status: 404, error: `run ${parsed.data.runId} is not live here` };
    return { feed, runId: parsed.data.runId };
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const closed = new AbortController();
    const found = feedFor(req, closed.signal);
    if (!('feed' in found)) {
      const notLive = found.status === 404 ? { [notLiveHeader]: '1' } : {};
      res
        .writeHead(found.status, { 'content-type': 'application/json', ...notLive })
        .end(JSON.stringify({ error: found.error }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    // Sent now, not with the first event: the reader times how long the answer takes.
    res.flushHeaders();
    options.streams?.inc();
    const heartbeat = setInterval(() => res.write(':\n\n'), peerHeartbeatMs);
    let control: FeedControl | undefined;
    res.on('close', () => {
      options.streams?.dec();
      clearInterval(heartbeat);
      closed.abort();
      control?.stop();
    });
    res.on('drain', () => control?.resume());
    control = found.feed[pushTo]({
      value: (event) => res.write(`data: ${JSON.stringify(event)}\n\n`),
      end: () => res.end(),
      fail: (error) => {
        // Cut, not ended: the reader goes back to the store and reads on from there.
        options.logger.warn({ err: error, runId: found.runId }, 'peer stream failed');
        res.destroy();
      },
    });
  };
}
