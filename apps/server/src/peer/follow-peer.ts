// Reading a run's events from the instance running it (its GET
// /peer/runs/events, peer-endpoint.ts) as a feed: server-sent `data:` frames,
// one event each, in order, until that instance ends the stream. The socket
// is paused while the reader is, and a stream quiet for longer than the
// other side's heartbeats allow is cut, so a frozen instance fails the feed
// (one this side holds back is not timed meanwhile).
// A request that finds its kept-alive connection closed under it is sent again
// once, on a new one.
import http from 'node:http';
import https from 'node:https';
import type { RunEvent } from '@agentrpc/core';
import { createFeed, type Feed, type FeedSink } from '@agentrpc/core/internal';
import { notLiveHeader, peerEventsPath, peerHeartbeatMs } from './peer-endpoint.ts';

/** A stream this long without a byte (heartbeats included) is taken for dead. */
const defaultQuietLimitMs = peerHeartbeatMs * 3;

/** An unfinished frame longer than this is not an event (a run's input is capped far below). */
const maxFrameChars = 64 * 1024 * 1024;

export class PeerUnavailableError extends Error {
  override readonly name = 'PeerUnavailableError';
  /** The other instance's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** It answered that the run is not live there (it ended meanwhile): the store has it. */
  readonly notLiveThere: boolean;

  constructor(message: string, answer?: { status: number; notLiveThere?: boolean }) {
    super(message);
    this.status = answer?.status;
    this.notLiveThere = answer?.notLiveThere ?? false;
  }
}

export interface FollowPeerOptions {
  /** The other instance's peer address, e.g. http://10.0.0.7:3000 */
  url: string;
  secret: string;
  /** Keeps connections for the address's protocol (an https.Agent for https:). */
  agent: http.Agent;
  userId: string;
  runId: string;
  afterSeq: number;
  /**
   * How long the other instance has to answer (default 3 s; it answers at
   * once): a wrong or unreachable address costs the reader no more than this.
   */
  answerWithinMs?: number;
  /** How long the stream may go without a byte while this side reads it (default three heartbeats). */
  quietLimitMs?: number;
}

export function followPeer(options: FollowPeerOptions): Feed<RunEvent> {
  return createFeed((sink) => {
    const reading = readFrom(options, sink);
    return { resume: reading.resume, stop: reading.stop };
  });
}

function readFrom(options: FollowPeerOptions, sink: FeedSink<RunEvent>) {
  const { url, secret, agent, userId, runId, afterSeq } = options;
  // Under the address's own path, if it has one (an instance reached through a proxy's prefix).
  const target = new URL(peerEventsPath.slice(1), url.endsWith('/') ? url : `${url}/`);
  target.search = new URLSearchParams({ userId, runId, afterSeq: String(afterSeq) }).toString();
  const client = target.protocol === 'https:' ? https : http;
  const queue: RunEvent[] = [];
  let paused = false;
  let ended = false;
  let over = false;
  /**
   * A frame that is not an event: the feed fails with it once the events
   * before it are handed over (they may have come in the same read).
   */
  let badFrame: { error: unknown } | undefined;
  let response: http.IncomingMessage | undefined;
  const quietLimitMs = options.quietLimitMs ?? defaultQuietLimitMs;
  /**
   * Whether the stream's silence is timed: not while the reader is paused, as
   * the socket then stops reading once its buffers fill, and the other side's
   * heartbeats stop reaching it too.
   */
  let timingQuiet = true;
  const timeQuiet = (timing: boolean) => {
    if (timing === timingQuiet) return;
    timingQuiet = timing;
    request?.setTimeout(timing ? quietLimitMs : 0);
  };

  const fail = (error: unknown) => {
    if (over) return;
    over = true;
    clearTimeout(answerTimer);
    request?.destroy();
    sink.fail(error);
  };
  /** Hands queued events over while the reader takes them; ends after the last. */
  const flush = () => {
    while (!paused && !over && queue.length > 0) {
      paused = !sink.value(queue.shift() as RunEvent);
    }
    if (over) return;
    if (badFrame && queue.length === 0) {
      fail(badFrame.error);
      return;
    }
    timeQuiet(!paused);
    if (paused) response?.pause();
    else if (ended) {
      over = true;
      clearTimeout(answerTimer);
      sink.end();
    } else response?.resume();
  };

  const answerWithinMs = options.answerWithinMs ?? 3_000;
  const answerTimer = setTimeout(() => {
    fail(new PeerUnavailableError(`${url} did not answer within ${answerWithinMs} ms`));
  }, answerWithinMs);
  /** The request was sent again once, on a new connection. */
  let sentAgain = false;
  let request = send();

  function send(): http.ClientRequest | undefined {
    let sent: http.ClientRequest;
    try {
      sent = client.request(target, {
        // Sent again, it must not take another kept-alive connection that may be as stale.
        agent: sentAgain ? false : agent,
        headers: { authorization: `Bearer ${secret}`, accept: 'text/event-stream' },
      });
    } catch (error) {
      // A request that cannot be made (an agent for another protocol, say)
      // fails the feed as an unreachable instance does, after this call.
      queueMicrotask(() => fail(error));
      return undefined;
    }
    sent.setTimeout(quietLimitMs);
    sent.on('timeout', () => fail(new PeerUnavailableError(`${url} went quiet`)));
    sent.on('error', (error: NodeJS.ErrnoException) => {
      if (sent !== request) return; // the request that was sent again is the one that counts
      // A kept-alive connection the other side closed as it was taken. Asking
      // for a run's events again does no harm, so it is (as Node's docs advise).
      if (!response && !sentAgain && sent.reusedSocket && error.code === 'ECONNRESET') {
        sentAgain = true;
        request = send();
        return;
      }
      fail(error);
    });
    sent.on('response', onResponse);
    sent.end();
    return sent;
  }

  function onResponse(res: http.IncomingMessage) {
    clearTimeout(answerTimer);
    response = res;
    if (res.statusCode !== 200) {
      res.resume();
      const status = res.statusCode ?? 0;
      const notLiveThere = status === 404 && res.headers[notLiveHeader] === '1';
      const message = `${url} answered ${status} for run ${runId}`;
      fail(new PeerUnavailableError(message, { status, notLiveThere }));
      return;
    }
    res.setEncoding('utf8');
    let buffered = '';
    res.on('data', (text: string) => {
      if (badFrame) return;
      buffered += text;
      let at = buffered.indexOf('\n\n');
      while (at >= 0) {
        const frame = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        // Lines starting with ':' are heartbeats.
        if (frame.startsWith('data: ')) {
          try {
            queue.push(JSON.parse(frame.slice(6)) as RunEvent);
          } catch (error) {
            badFrame = { error };
            flush();
            return;
          }
        }
        at = buffered.indexOf('\n\n');
      }
      if (buffered.length > maxFrameChars) {
        fail(new PeerUnavailableError(`${url} sent a frame over ${maxFrameChars} characters`));
        return;
      }
      flush();
    });
    res.on('end', () => {
      ended = true;
      flush();
    });
    res.on('aborted', () =>
      fail(new PeerUnavailableError(`${url} cut the stream of run ${runId}`)),
    );
    res.on('error', fail);
  }

  return {
    resume: () => {
      paused = false;
      flush();
    },
    stop: () => {
      over = true;
      clearTimeout(answerTimer);
      request?.destroy();
    },
  };
}
