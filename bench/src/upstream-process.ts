// Child processes of the benchmark: the fake upstream, and one streaming worker per client.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface Upstream {
  baseURL: string;
  stop(): Promise<void>;
}

export async function startUpstream(env: Record<string, string>): Promise<Upstream> {
  const script = fileURLToPath(new URL('./fake-upstream.ts', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@agentrpc/source', '--disable-warning=ExperimentalWarning', script],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    baseURL: line.toString().trim(),
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Runs stream-worker.ts with `env` and returns the samples it prints. */
export async function runWorker(env: Record<string, string>): Promise<number[]> {
  const script = fileURLToPath(new URL('./stream-worker.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--conditions=@agentrpc/source',
      '--expose-gc',
      '--disable-warning=ExperimentalWarning',
      script,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (part: Buffer) => {
    out += part.toString();
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`stream worker for ${env.RUNNER} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]');
}
