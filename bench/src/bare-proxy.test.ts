import http from 'node:http';
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
