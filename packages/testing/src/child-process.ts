// Starts a program as a child process and waits until its output shows it is
// ready, for tests that run a server the way a deployment does.
import { type ChildProcess, spawn } from 'node:child_process';

export interface StartProcessOptions {
  /** Arguments to the current Node binary (a script and its arguments). */
  args: string[];
  /** Output (stdout and stderr) that means the process is ready. */
  ready: RegExp;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when it has exited; SIGTERM by default. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startProcess(options: StartProcessOptions): Promise<RunningProcess> {
  const child = spawn(process.execPath, options.args, {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (part: Buffer) => {
    output += part.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (!options.ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`process did not become ready (${options.ready}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

export interface ServeOptions {
  /** Path of the agentrpc CLI script (apps/server/src/cli.ts or the installed bin). */
  cli: string;
  /** Config file to serve; none means the default assistant. */
  config?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Load workspace sources instead of built files (the `@agentrpc/source` condition). */
  fromSource?: boolean;
  /**
   * Flags for node itself, before the script: those NODE_OPTIONS refuses
   * (e.g. `--single-threaded-gc`, `--heap-growing-percent=50`) go here.
   */
  nodeFlags?: readonly string[];
}

export interface ServedAgentRpc extends RunningProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
}

/** Runs `agentrpc serve` on a free port and waits for its banner, which ends with the store line. */
export async function serveAgentRpc(options: ServeOptions): Promise<ServedAgentRpc> {
  const server = await startProcess({
    args: [
      ...(options.nodeFlags ?? []),
      ...(options.fromSource === false ? [] : ['--conditions=@agentrpc/source']),
      '--disable-warning=ExperimentalWarning',
      options.cli,
      'serve',
      '--port',
      '0',
      ...(options.config ? ['--config', options.config] : []),
    ],
    ready: /store: /,
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { ...server, url: /listening on (\S+)/.exec(server.output())?.[1] ?? '' };
}
