// Streaming through the agentrpc server and SDK (over SSE and WebSocket)
// against the openai SDK calling the same fake upstream directly: tokens per
// second and time to first token, each client path measured in turn. Beside
// them, the same router served by tRPC's own adapters and read with tRPC's own
// links, in every pairing, so each hand-written transport meets tRPC's.
import { fileURLToPath } from 'node:url';
import { createClient } from '@agentrpc/sdk';
import type { AppRouter, RunEvent } from '@agentrpc/server';
import { serveAgentRpc } from '@agentrpc/testing';
import {
  createTRPCClient,
  createWSClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  wsLink,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import OpenAI from 'openai';
import superjson from 'superjson';
import { median } from './measure.ts';
import { startUpstream, type Upstream } from './upstream-process.ts';

export interface PathFigures {
  name: string;
  tokensPerSecond: number;
  ttftP50Ms: number;
  ttftP90Ms: number;
}

export interface Sample {
  ttftMs: number;
  /** Tokens received (characters / 4: the fake sends 4-character tokens). */
  chunks: number;
  totalMs: number;
}

export type Runner = () => Promise<Sample>;

/** The fake upstream sends one 4-character token per chunk. */
export const charsPerToken = 4;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

type Transports = 'agentrpc' | 'trpc';

export async function startAgentRpcServer(
  upstream: Upstream,
  transports: Transports,
): Promise<{ url: string; stop: () => void }> {
  const server = await serveAgentRpc({
    cli: fileURLToPath(new URL('../../apps/server/src/cli.ts', import.meta.url)),
    config: fileURLToPath(new URL('./server.config.ts', import.meta.url)),
    env: {
      ...process.env,
      UPSTREAM_URL: upstream.baseURL,
      AGENTRPC_STORE: 'memory',
      AGENTRPC_TRANSPORTS: transports,
    },
  });
  return { url: server.url, stop: () => void server.stop() };
}

/** The openai SDK streaming from `baseURL`: the upstream itself, or the agentrpc /v1 facade. */
export function openaiRunner(target: { baseURL: string; apiKey: string; model: string }): Runner {
  const client = new OpenAI({ apiKey: target.apiKey, baseURL: target.baseURL, maxRetries: 0 });
  return async () => {
    const started = performance.now();
    let ttftMs = 0;
    let chunks = 0;
    const stream = await client.chat.completions.create({
      model: target.model,
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

export const directRunner = (baseURL: string): Runner =>
  openaiRunner({ baseURL, apiKey: 'k', model: 'gpt-4o-mini' });

export function sdkRunner(
  url: string,
  transport: 'sse' | 'ws',
): { run: Runner; close: () => void } {
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

/** A client of tRPC's own: httpSubscriptionLink (with the eventsource package) or wsLink. */
function trpcClientRunner(
  url: string,
  transport: 'sse' | 'ws',
): { run: Runner; close: () => void } {
  const trpcUrl = `${url}/trpc`;
  const authorization = 'Bearer bench-key';
  const withKey: typeof fetch = (input, init) =>
    fetch(input, { ...init, headers: { ...init?.headers, authorization } });
  const socket =
    transport === 'ws'
      ? createWSClient({ url: trpcUrl.replace(/^http/, 'ws'), connectionParams: { authorization } })
      : undefined;
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: socket
          ? wsLink({ client: socket, transformer: superjson })
          : httpSubscriptionLink({
              url: trpcUrl,
              transformer: superjson,
              EventSource,
              eventSourceOptions: { fetch: withKey },
            }),
        false: httpLink({ url: trpcUrl, transformer: superjson, headers: { authorization } }),
      }),
    ],
  });
  return {
    close: () => void socket?.close(),
    run: () =>
      new Promise<Sample>((resolve, reject) => {
        const started = performance.now();
        let ttftMs = 0;
        let chunks = 0;
        const subscription = client.runs.stream.subscribe(
          { agentId: 'bench', input: 'go' },
          {
            onData: ({ data }: { data: RunEvent }) => {
              if (data.type === 'run.content') {
                if (chunks === 0) ttftMs = performance.now() - started;
                chunks += data.delta.length / charsPerToken;
              } else if (data.type === 'run.completed' || data.type === 'run.error') {
                subscription.unsubscribe();
                if (data.type === 'run.error') reject(new Error(data.message));
                else resolve({ ttftMs, chunks, totalMs: performance.now() - started });
              }
            },
            onError: reject,
          },
        );
      }),
  };
}

/**
 * Runs per path before measuring: a server in service has run its code many
 * times over, so the figures are taken after the JIT has settled, not while the
 * first runs of a fresh process are still compiling.
 */
const warmUpRuns = 20;

export async function measurePaths(
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
  const servers = {
    agentrpc: await startAgentRpcServer(upstream, 'agentrpc'),
    trpc: await startAgentRpcServer(upstream, 'trpc'),
  };
  const clients = (['agentrpc', 'trpc'] as const).flatMap((server) =>
    (['sse', 'ws'] as const).flatMap((transport) => {
      const protocol = transport === 'sse' ? 'SSE' : 'WebSocket';
      const where = server === 'agentrpc' ? 'agentrpc server' : "server on tRPC's adapters";
      return [
        { name: `${where} + SDK, ${protocol}`, ...sdkRunner(servers[server].url, transport) },
        {
          name: `${where} + tRPC client, ${protocol}`,
          ...trpcClientRunner(servers[server].url, transport),
        },
      ];
    }),
  );
  try {
    const figures = await measurePaths(
      [{ name: 'openai SDK, direct', run: directRunner(upstream.baseURL) }, ...clients],
      setting.rounds,
    );
    const pacing = setting.delayMs ? `${setting.delayMs} ms between chunks` : 'no pacing';
    return { setting: `${setting.chunks.toLocaleString('en')} chunks, ${pacing}`, figures };
  } finally {
    for (const client of clients) client.close();
    for (const server of Object.values(servers)) server.stop();
    await upstream.stop();
  }
}

/** One hand-written piece against tRPC's own, from the same run of paths. */
interface Pairing {
  piece: string;
  ours: string;
  theirs: string;
}

const pairings = (protocol: 'SSE' | 'WebSocket'): Pairing[] => [
  {
    piece: `server ${protocol} (both read by the SDK)`,
    ours: `agentrpc server + SDK, ${protocol}`,
    theirs: `server on tRPC's adapters + SDK, ${protocol}`,
  },
  {
    piece: `client ${protocol} (both reading the agentrpc server)`,
    ours: `agentrpc server + SDK, ${protocol}`,
    theirs: `agentrpc server + tRPC client, ${protocol}`,
  },
];

/**
 * Markdown rows comparing each hand-written transport with tRPC's own: TTFT p50
 * (the 1 ms rule) and tokens per second, per setting.
 */
export function transportComparison(results: ServerStreamingResult[]): string[] {
  const rows = results.flatMap((result) => {
    const byName = new Map(result.figures.map((f) => [f.name, f]));
    return (['SSE', 'WebSocket'] as const).flatMap(pairings).map(({ piece, ours, theirs }) => {
      const a = byName.get(ours);
      const b = byName.get(theirs);
      if (!a || !b) return `| ${result.setting} | ${piece} | – | – | – | – |`;
      return `| ${result.setting} | ${piece} | ${a.ttftP50Ms.toFixed(2)} | ${b.ttftP50Ms.toFixed(2)} | ${(b.ttftP50Ms - a.ttftP50Ms).toFixed(2)} | ${(a.tokensPerSecond / b.tokensPerSecond).toFixed(2)} |`;
    });
  });
  return [
    '| setting | piece | ours TTFT p50 ms | tRPC’s TTFT p50 ms | ours sooner by ms | tokens/s ours ÷ tRPC’s |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
}
