// How busy the whole machine was over a stretch of a bench, from Linux's
// /proc/stat: every process's CPU, the store's and the bench client's too.
// Beside a process's own CPU (process-cpu.ts) it tells a delay that comes from
// the code from one that comes from cores with nothing left to give: with the
// machine busy all the time, every process waits for a core between its turns.
import { readFileSync } from 'node:fs';
import { ticksPerSecond } from './process-cpu.ts';

/** Clock ticks since boot, all cores together: busy, and in all. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) + (steal ?? 0) };
}

export interface MachineUse {
  /** Of all the cores' time, the share some process was running, 0–1. */
  busyShare: number;
  /** Seconds of CPU used on the machine, all processes. */
  busySeconds: number;
}

/** Starts counting; the returned function gives the machine's use since. */
export function watchMachine(): () => MachineUse {
  const before = machineTicks();
  return () => {
    const after = machineTicks();
    const busy = after.busy - before.busy;
    const total = after.total - before.total;
    return { busyShare: total > 0 ? busy / total : 0, busySeconds: busy / ticksPerSecond };
  };
}
