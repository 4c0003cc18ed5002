// Child processes of the benchmark: the fake upstream, the bare proxy, and one streaming worker per client.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface Upstream {
  baseURL: string;
  stop(): Promise<void>;
}

export interface ChildScript {
  /** The first line the script printed: where it listens. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Runs one of this folder's scripts with `env` until it prints where it listens. */
export async function startScript(name: string, env: Record<string, string>): Promise<ChildScript> {
  const script = fileURLToPath(new URL(`./${name}`, import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@agentrpc/source', '--disable-warning=ExperimentalWarning', script],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // A bench that fails midway must not leave its upstream or proxy running.
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    url: line.toString().trim(),
    pid: child.pid ?? 0,
    stop: async () => {
      process.off('exit', killChild);
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function startUpstream(env: Record<string, string>): Promise<Upstream> {
  const upstream = await startScript('fake-upstream.ts', env);
  return { baseURL: upstream.url, stop: upstream.stop };
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
