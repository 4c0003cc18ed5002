// Pins a process (all its threads) to one core with taskset, so that servers
// compared side by side each get the same single core (the client and the
// upstream are left to the scheduler). Without taskset or a second core it
// does nothing, and the rows say so.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** The core servers are pinned to: the last one. */
export const serverCore = cpus().length - 1;

/** Whether processes can be pinned here. */
export const canPin = (() => {
  if (cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins `pid` and its threads to `cores`; returns whether it could. */
function pinTo(pid: number, cores: number[]): boolean {
  if (!canPin) return false;
  execFileSync('taskset', ['-a', '-p', '-c', cores.join(','), String(pid)], { stdio: 'ignore' });
  return true;
}

/** Pins `pid` and its threads to `serverCore`; returns whether it could. */
export function pinToServerCore(pid: number): boolean {
  return pinTo(pid, [serverCore]);
}

/** Pins `pid` and its threads to every core but `serverCore`, so a client and the server do not take turns on one. */
export function pinAwayFromServerCore(pid: number): boolean {
  const others = cpus()
    .map((_, core) => core)
    .filter((core) => core !== serverCore);
  return pinTo(pid, others);
}
