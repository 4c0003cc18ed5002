// Streaming through the agentrpc server and SDK (over SSE and WebSocket)
// against the openai SDK calling the same fake upstream directly: tokens per
// second and time to first token, each client path measured in turn.
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import { serveAgentRpc } from '@agentrpc/testing';
import OpenAI from 'openai';
import { median } from './measure.ts';
import { startUpstream, type Upstream } from './upstream-process.ts';

export interface PathFigures {
  name: string;
  tokensPerSecond: number;
  ttftP50Ms: number;
  ttftP90Ms: number;
}

interface Sample {
  ttftMs: number;
  /** Tokens received (characters / 4: the fake sends 4-character tokens). */
  chunks: number;
  totalMs: number;
}

type Runner = () => Promise<Sample>;

/** The fake upstream sends one 4-character token per chunk. */
const charsPerToken = 4;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function startAgentRpcServer(upstream: Upstream): Promise<{ url: string; stop: () => void }> {
  const server = await serveAgentRpc({
    cli: fileURLToPath(new URL('../../apps/server/src/cli.ts', import.meta.url)),
    config: fileURLToPath(new URL('./server.config.ts', import.meta.url)),
    env: { ...process.env, UPSTREAM_URL: upstream.baseURL, AGENTRPC_STORE: 'memory' },
  });
  return { url: server.url, stop: () => void server.stop() };
}

function directRunner(baseURL: string): Runner {
  const client = new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0 });
  return async () => {
    const started = performance.now();
    let ttftMs = 0;
    let chunks = 0;
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (text) {
        if (chunks === 0) ttftMs = performance.now() - started;
        chunks += text.length / charsPerToken;
      }
    }
    return { ttftMs, chunks, totalMs: performance.now() - started };
  };
}

function sdkRunner(url: string, transport: 'sse' | 'ws'): { run: Runner; close: () => void } {
  const client = createClient({ url, apiKey: 'bench-key', transport });
  return {
    close: () => client.close(),
    run: async () => {
      const started = performance.now();
      let ttftMs = 0;
      let chunks = 0;
      for await (const event of client.runs.stream({ agentId: 'bench', input: 'go' })) {
        if (event.type === 'run.content') {
          if (chunks === 0) ttftMs = performance.now() - started;
          chunks += event.delta.length / charsPerToken;
        }
      }
      return { ttftMs, chunks, totalMs: performance.now() - started };
    },
  };
}

/**
 * Runs per path before measuring: a server in service has run its code many
 * times over, so the figures are taken after the JIT has settled, not while the
 * first runs of a fresh process are still compiling.
 */
const warmUpRuns = 20;

async function measurePaths(
  paths: { name: string; run: Runner }[],
  rounds: number,
): Promise<PathFigures[]> {
  const samples = new Map<string, Sample[]>(paths.map((p) => [p.name, []]));
  for (const path of paths) for (let i = 0; i < warmUpRuns; i++) await path.run();
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) samples.get(path.name)?.push(await path.run());
  }
  return paths.map(({ name }) => {
    const list = samples.get(name) ?? [];
    return {
      name,
      tokensPerSecond: median(list.map((s) => s.chunks / (s.totalMs / 1000))),
      ttftP50Ms: percentile(
        list.map((s) => s.ttftMs),
        50,
      ),
      ttftP90Ms: percentile(
        list.map((s) => s.ttftMs),
        90,
      ),
    };
  });
}

export interface ServerStreamingResult {
  setting: string;
  figures: PathFigures[];
}

/** Runs the comparison for one upstream setting (chunk count and pacing). */
export async function measureServerStreaming(setting: {
  chunks: number;
  delayMs: number;
  rounds: number;
}): Promise<ServerStreamingResult> {
  const upstream = await startUpstream({
    CHUNKS: String(setting.chunks),
    CHUNK_CHARS: '4',
    CHUNK_DELAY_MS: String(setting.delayMs),
  });
  const server = await startAgentRpcServer(upstream);
  const sse = sdkRunner(server.url, 'sse');
  const ws = sdkRunner(server.url, 'ws');
  try {
    const figures = await measurePaths(
      [
        { name: 'openai SDK, direct', run: directRunner(upstream.baseURL) },
        { name: 'agentrpc server + SDK, SSE', run: sse.run },
        { name: 'agentrpc server + SDK, WebSocket', run: ws.run },
      ],
      setting.rounds,
    );
    const pacing = setting.delayMs ? `${setting.delayMs} ms between chunks` : 'no pacing';
    return { setting: `${setting.chunks.toLocaleString('en')} chunks, ${pacing}`, figures };
  } finally {
    sse.close();
    ws.close();
    server.stop();
    await upstream.stop();
  }
}
