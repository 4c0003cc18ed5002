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
