// followPeer against a stand-in for the other instance (a plain node:http
// server): frames become events in order, the end of the stream ends the
// feed, and what is not an event fails it rather than being skipped.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { RunEvent } from '@agentrpc/core';
import { type FeedSink, pushTo } from '@agentrpc/core/internal';
import { contentEvent } from '@agentrpc/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type FollowPeerOptions, followPeer } from './follow-peer.ts';
import { notLiveHeader } from './peer-endpoint.ts';

const servers: http.Server[] = [];
const agent = new http.Agent({ keepAlive: true });
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** Listens on a free port until the test ends; returns its address. */
async function listening(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A peer that answers every request with `body`, written in pieces of `piece` characters. */
async function peerAnswering(body: string, piece = 7): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(`${req.url} ${req.headers.authorization}`);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < body.length; i += piece) res.write(body.slice(i, i + piece));
    res.end();
  });
  return { url: await listening(server), asked };
}

/** How a feed that takes every event ends: 'ended', or its failure. */
function outcomeOf(options: Partial<FollowPeerOptions> & { url: string }): Promise<unknown> {
  return new Promise((resolve) => {
    followPeer({ secret: 's', agent, userId: 'u', runId: 'r', afterSeq: 2, ...options })[pushTo]({
      value: () => true,
      end: () => resolve('ended'),
      fail: resolve,
    });
  });
}

/** Follows run r after seq 2 at `url`, handing what comes to `sink`. */
function follow(url: string, sink: FeedSink<RunEvent>) {
  return followPeer({ url, secret: 's', agent, userId: 'u', runId: 'r', afterSeq: 2 })[pushTo](
    sink,
  );
}

function read(url: string) {
  const seen: RunEvent[] = [];
  const done = new Promise<void>((resolve, reject) => {
    followPeer({ url, secret: 's3cret', agent, userId: 'u', runId: 'r', afterSeq: 2 })[pushTo]({
      value: (event) => seen.push(event) > 0,
      end: resolve,
      fail: reject,
    });
  });
  return { seen, done };
}

describe('followPeer', () => {
  it('reads frames split anywhere as events, skipping heartbeats, until the stream ends', async () => {
    const events = [3, 4, 5].map((seq) => contentEvent('r', seq));
    const body = [':', ...events.map((event) => `data: ${JSON.stringify(event)}`), ':'].join(
      '\n\n',
    );
    const peer = await peerAnswering(`${body}\n\n`);
    const { seen, done } = read(peer.url);
    await done;
    expect(seen).toEqual(events);
    expect(peer.asked).toEqual(['/peer/runs/events?userId=u&runId=r&afterSeq=2 Bearer s3cret']);
  });

  it('asks under the path of an address that has one', async () => {
    const peer = await peerAnswering('');
    for (const path of ['/agentrpc', '/agentrpc/']) {
      await read(`${peer.url}${path}`).done;
    }
    expect(peer.asked).toEqual([
      '/agentrpc/peer/runs/events?userId=u&runId=r&afterSeq=2 Bearer s3cret',
      '/agentrpc/peer/runs/events?userId=u&runId=r&afterSeq=2 Bearer s3cret',
    ]);
  });

  it('tells a run not live there from a 404 of something else at that address', async () => {
    const server = http.createServer((req, res) => {
      const header = req.url?.startsWith('/instance/') ? { [notLiveHeader]: '1' } : {};
      res.writeHead(404, header).end();
    });
    const base = await listening(server);
    const failure = (url: string) =>
      read(url).done.then(
        () => undefined,
        (error) => error,
      );
    expect(await failure(`${base}/instance`)).toMatchObject({ status: 404, notLiveThere: true });
    expect(await failure(`${base}/other`)).toMatchObject({ status: 404, notLiveThere: false });
  });

  it('fails on a frame that is not an event, after handing over the events before it', async () => {
    const body = `data: ${JSON.stringify(contentEvent('r', 3))}\n\ndata: {nope\n\n`;
    // In pieces, and in one write, where both frames come in one read.
    for (const piece of [7, body.length]) {
      const peer = await peerAnswering(body, piece);
      const { seen, done } = read(peer.url);
      await expect(done).rejects.toThrow(SyntaxError);
      expect(seen.map((event) => event.seq)).toEqual([3]); // what came before it, and no more
    }
  });

  it('fails on a frame that is not an event only once a paused reader took the events before it', async () => {
    const events = [3, 4].map((seq) => `data: ${JSON.stringify(contentEvent('r', seq))}\n\n`);
    const peer = await peerAnswering(`${events.join('')}data: {nope\n\n`, 10_000);
    const seen: number[] = [];
    let failure: unknown;
    const control = follow(peer.url, {
      value: (event) => seen.push(event.seq) > 1, // takes one, then pauses
      end: () => {},
      fail: (error) => {
        failure = error;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([seen, failure]).toEqual([[3], undefined]);
    control.resume();
    expect(seen).toEqual([3, 4]);
    expect(failure).toBeInstanceOf(SyntaxError);
  });

  it('gives up on an instance that takes the connection and does not answer', async () => {
    const silent = http.createServer(() => {}); // never answers
    const url = await listening(silent);
    const failed = await outcomeOf({ url, answerWithinMs: 100 });
    expect(String(failed)).toContain('did not answer within 100 ms');
    silent.closeAllConnections();
  });

  it('hands nothing more to a reader that paused until it resumes', async () => {
    const events = [3, 4, 5].map((seq) => contentEvent('r', seq));
    const peer = await peerAnswering(
      events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''),
      1000,
    );
    const seen: number[] = [];
    let ended = false;
    const control = follow(peer.url, {
      value: (event) => {
        seen.push(event.seq);
        return false; // one at a time
      },
      end: () => {
        ended = true;
      },
      fail: (error) => {
        throw error;
      },
    });
    await expect.poll(() => seen).toEqual([3]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([3]);
    control.resume();
    expect(seen).toEqual([3, 4]);
    control.resume();
    control.resume();
    expect(seen).toEqual([3, 4, 5]);
    await expect.poll(() => ended).toBe(true);
  });

  it('does not take a stream it holds back for one gone quiet', async () => {
    // One event, which the reader holds back on; then more than the response
    // buffers while paused, and heartbeats only: the socket stops reading,
    // and the heartbeats stop reaching this side.
    const events = Array.from({ length: 3000 }, (_, i) => contentEvent('r', 3 + i));
    const frame = (event: RunEvent) => `data: ${JSON.stringify(event)}\n\n`;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame(events[0] as RunEvent));
      setTimeout(() => res.write(events.slice(1).map(frame).join('')), 50);
      const heartbeat = setInterval(() => res.write(':\n\n'), 20);
      setTimeout(() => {
        clearInterval(heartbeat);
        res.end();
      }, 1_300);
    });
    const url = await listening(server);
    const seen: number[] = [];
    let holding = true;
    const done = new Promise<void>((resolve, reject) => {
      const options = { url, secret: 's', agent, userId: 'u', runId: 'r', afterSeq: 2 };
      const control = followPeer({ ...options, quietLimitMs: 300 })[pushTo]({
        value: (event) => {
          seen.push(event.seq);
          return !holding;
        },
        end: resolve,
        fail: reject,
      });
      // Held back for longer than the stream may go quiet while it is read.
      setTimeout(() => {
        holding = false;
        control.resume();
      }, 900);
    });
    await done;
    expect(seen).toEqual(events.map((event) => event.seq));
  });

  it('still gives up on a stream gone quiet while it is read', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(contentEvent('r', 3))}\n\n`); // and then nothing
    });
    const url = await listening(server);
    expect(String(await outcomeOf({ url, quietLimitMs: 100 }))).toContain('went quiet');
    server.closeAllConnections();
  });

  it('sends the request again once when its kept-alive connection is closed as it is taken', async () => {
    const event = contentEvent('r', 3);
    const answer = `data: ${JSON.stringify(event)}\n\n`;
    // The other instance, by hand: on the connection that served a request
    // before, the next request finds it closed; a new connection is answered.
    let connections = 0;
    const peer = net.createServer((socket) => {
      connections++;
      let received = '';
      let served = 0;
      socket.on('data', (bytes) => {
        received += bytes.toString();
        const headEnd = received.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = received.slice(0, headEnd);
        received = received.slice(headEnd + 4);
        if (served++ > 0) return void socket.destroy();
        if (head.startsWith('GET /peer/')) {
          socket.end(
            `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${answer.length}\r\nconnection: close\r\n\r\n${answer}`,
          );
        } else socket.write('HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    const ownAgent = new http.Agent({ keepAlive: true });
    try {
      // Leaves two kept-alive connections in the agent: followPeer takes one,
      // and must not take the other when it sends again.
      const warm = () =>
        new Promise<void>((resolve, reject) => {
          http.get(`${url}/warm`, { agent: ownAgent }, (res) => res.resume().on('end', resolve));
          setTimeout(() => reject(new Error('no answer')), 2_000);
        });
      await Promise.all([warm(), warm()]);
      const seen: RunEvent[] = [];
      await new Promise<void>((resolve, reject) => {
        const options = { url, secret: 's', agent: ownAgent, userId: 'u', runId: 'r', afterSeq: 2 };
        followPeer(options)[pushTo]({
          value: (value) => seen.push(value) > 0,
          end: resolve,
          fail: reject,
        });
      });
      expect(seen).toEqual([event]);
      expect(connections).toBe(3);
    } finally {
      ownAgent.destroy();
      peer.close();
    }
  });

  it('fails the feed, rather than throwing, when the request cannot be made', async () => {
    // An https address with an agent for http: Node refuses to make the request.
    const failed = await outcomeOf({ url: 'https://127.0.0.1:9' });
    expect(failed).toMatchObject({ code: 'ERR_INVALID_PROTOCOL' });
  });
});
