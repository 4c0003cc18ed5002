import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxySseStreams, ShedError } from './raw-clients.ts';
import { type ChildScript, startScript, startUpstream, type Upstream } from './upstream-process.ts';

// The overload rows' baseline: the bare proxy refusing SSE streams past
// MAX_STREAMS at once, and taking new ones again as streams end.
describe('bare proxy with MAX_STREAMS', () => {
  let upstream: Upstream;
  let proxy: ChildScript;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    upstream = await startUpstream({ CHUNKS: '20', CHUNK_CHARS: '4', CHUNK_DELAY_MS: '25' });
    proxy = await startScript('bare-proxy.ts', {
      UPSTREAM_URL: upstream.baseURL,
      WARM_UP_URL: upstream.baseURL,
      MAX_STREAMS: '2',
    });
  });

  afterAll(async () => {
    agent.destroy();
    await proxy?.stop();
    await upstream?.stop();
  });

  /** Streams one stream to its end; its deltas, or the error it failed with. */
  const streamOne = async () => {
    const deltas: string[] = [];
    const stream = proxySseStreams(proxy.url, agent)('');
    try {
      await stream(0, (delta) => deltas.push(delta));
      return deltas;
    } catch (error) {
      return error;
    }
  };

  it('refuses a stream past the cap with 429 and takes one again once a stream ends', async () => {
    const first = streamOne();
    const second = streamOne();
    // Both have been taken by the time a chunk of theirs has gone by.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await streamOne();
    expect(third).toBeInstanceOf(ShedError);
    for (const taken of await Promise.all([first, second])) {
      expect(taken).toHaveLength(20);
    }
    expect(await streamOne()).toHaveLength(20);
  });
});

// The second baseline: every event numbered and written to SQLite, the end
// sent only once the write holding it is stored.
describe('bare proxy with EVENT_LOG', () => {
  let upstream: Upstream;
  let proxy: ChildScript;
  let folder: string;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'proxy-log-test-'));
    upstream = await startUpstream({ CHUNKS: '20', CHUNK_CHARS: '4', CHUNK_DELAY_MS: '5' });
    proxy = await startScript('bare-proxy.ts', {
      UPSTREAM_URL: upstream.baseURL,
      WARM_UP_URL: upstream.baseURL,
      EVENT_LOG: join(folder, 'events.db'),
    });
  });

  afterAll(async () => {
    agent.destroy();
    await proxy?.stop();
    await upstream?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Every event the log holds for stream `id`, in order. */
  const logged = (id: string) => {
    const db = new DatabaseSync(join(folder, 'events.db'), { readOnly: true });
    const rows = db.prepare('SELECT body FROM events ORDER BY stream, first_seq').all() as {
      body: string;
    }[];
    db.close();
    return rows
      .flatMap(({ body }) => body.split('\n'))
      .map((text) => JSON.parse(text) as { id: string; seq: number; delta?: string; end?: true })
      .filter((event) => event.id === id);
  };

  it('has stored every event of a stream, numbered, by the time its client sees the end', async () => {
    const streamFrom = proxySseStreams(proxy.url, agent)('');
    const deltas: string[][] = [[], []];
    await Promise.all([0, 1].map((i) => streamFrom(i, (delta) => deltas[i]?.push(delta))));
    for (const [i, id] of ['0', '1'].entries()) {
      const events = logged(id);
      expect(deltas[i]).toHaveLength(20);
      expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 21 }, (_, n) => n + 1));
      expect(events.slice(0, 20).map((event) => event.delta)).toEqual(deltas[i]);
      expect(events[20]?.end).toBe(true);
    }
  });
});
