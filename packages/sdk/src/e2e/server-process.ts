// Starts `agentrpc serve` as a child process with a given store, as a
// deployment runs it, and stops it like one (SIGTERM) or like a crash (SIGKILL).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  output: () => string;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const cli = fileURLToPath(new URL('../../../../apps/server/src/cli.ts', import.meta.url));
const config = fileURLToPath(new URL('./fixtures/server.config.ts', import.meta.url));

export async function startServerProcess(options: {
  store: string;
  upstream: string;
}): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=@agentrpc/source',
      '--disable-warning=ExperimentalWarning',
      cli,
      'serve',
      '--port',
      '0',
      '--config',
      config,
    ],
    {
      env: { ...process.env, AGENTRPC_STORE: options.store, UPSTREAM_URL: options.upstream },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (part: Buffer) => {
    output += part.toString();
  });
  child.stderr?.on('data', (part: Buffer) => {
    output += part.toString();
  });
  const deadline = Date.now() + 20_000;
  while (!/store: /.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: /listening on (\S+)/.exec(output)?.[1] ?? '',
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}
