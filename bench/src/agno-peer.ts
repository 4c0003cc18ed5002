// agno's AgentOS as a row of the load benchmark: installed from PyPI into
// .tools/agno (scripts/agno.sh), started on the same fake upstream
// (agno-os.py), and read with the same raw SSE client as agentrpc's SSE row.
// Without python3 (or when the install fails) the row is skipped with the
// reason, except under CI, where it must run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { warmUp } from './load-baselines.ts';
import { collect, type Measured, type StreamOne, watchProcess } from './load-measure.ts';
import { pinToServerCore } from './pin.ts';
import { streamEvents } from './raw-clients.ts';

export interface AgnoServer {
  url: string;
  pid: number;
  /** Streams runs of `agentId` as the AgentOS API takes them (form fields, stream=true). */
  streams(agentId: string): StreamOne;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The venv's python, installing it once; or why agno cannot run here. */
export function agnoPython(): { python: string } | { skipped: string } {
  try {
    const python = execFileSync(join(root, 'scripts/agno.sh'), ['install'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    return { python };
  } catch (error) {
    const reason = `agno could not be installed (${(error as Error).message.split('\n')[0]})`;
    if (process.env.CI === 'true') throw new Error(reason);
    return { skipped: reason };
  }
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

/** Starts AgentOS on the upstreams and waits until it answers. */
export async function startAgno(
  python: string,
  upstreams: { paced: string; warmUp: string },
): Promise<AgnoServer> {
  const port = await freePort();
  const dbFile = join(tmpdir(), `agno-load-${port}.db`);
  const child: ChildProcess = spawn(
    python,
    [fileURLToPath(new URL('./agno-os.py', import.meta.url))],
    {
      env: {
        ...process.env,
        PORT: String(port),
        UPSTREAM_URL: upstreams.paced,
        WARM_UP_URL: upstreams.warmUp,
        AGNO_DB_FILE: dbFile,
        AGNO_TELEMETRY: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) break;
    if (i > 600 || child.exitCode !== null) throw new Error('AgentOS did not start');
    await delay(100);
  }
  const agent = new http.Agent({ keepAlive: true });
  return {
    url,
    pid: child.pid ?? 0,
    streams: (agentId) => (i, onDelta) =>
      streamEvents(
        agent,
        {
          method: 'POST',
          url: `${url}/agents/${agentId}/runs`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            message: `stream ${i}`,
            stream: 'true',
            user_id: 'load',
          }).toString(),
        },
        ({ event, data }) => {
          if (event === 'RunError') throw new Error(data);
          if (event !== 'RunContent') return;
          const { content } = JSON.parse(data) as { content?: unknown };
          if (typeof content === 'string' && content) onDelta(content);
        },
      ),
    stop: async () => {
      agent.destroy();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      // uvicorn waits for its open tasks on SIGTERM; a minute behind its upstream, that is long.
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
      for (const suffix of ['', '-wal', '-shm', '-journal'])
        rmSync(`${dbFile}${suffix}`, { force: true });
    },
  };
}

/** `streams` runs through AgentOS pinned to one core, read by the raw client; the table row. */
export async function measureAgno(
  streams: number,
  options: { python: string; upstreams: { paced: string; warmUp: string } },
): Promise<Measured> {
  const agno = await startAgno(options.python, options.upstreams);
  const pinned = pinToServerCore(agno.pid);
  await warmUp(agno.streams('warm-up'));
  const usage = watchProcess(agno.pid);
  const figures = await collect(streams, agno.streams('load'));
  const middle = usage(figures.lateness.length);
  await agno.stop();
  const label = `agno AgentOS + raw client, SSE (${pinned ? 'one core' : 'not pinned'}, SqliteDb)`;
  return { path: label, streams, figures, middle };
}
