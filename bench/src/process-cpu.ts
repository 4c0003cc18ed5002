// What a child process of the load bench costs, read from Linux's /proc: its
// CPU time (all threads, user + system, and of that the system time spent in
// the kernel on its behalf), its peak RSS, and the CPU time split by thread
// (with the event loop's own system time).
// The split shows where a server's cost lies beyond its event loop: Node names
// its threads, so the event loop, worker threads (the SQLite event writer),
// V8's helpers (garbage collection, compilation) and libuv's pool can be told
// apart.
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports CPU time in clock ticks of 1/100 s. */
export const ticksPerSecond = 100;

/** The thread groups of the split, in the order the report shows them. */
export const threadGroups = ['event loop', 'worker threads', 'V8 helpers', 'other'] as const;
export type ThreadGroup = (typeof threadGroups)[number];

/**
 * user + system clock ticks, and system alone, from the text of a /proc stat
 * file. Kept in whole ticks until the end, so that equal times subtract and
 * add up to equal seconds.
 */
function statTimes(stat: string): { ticks: number; systemTicks: number } {
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return { ticks: user + system, systemTicks: system };
}

/** CPU time the process has used so far, in ticks, threads that ended included. */
function processTimes(pid: number) {
  return statTimes(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

function groupOf(pid: number, tid: number, name: string): ThreadGroup {
  if (tid === pid) return 'event loop';
  if (name === 'WorkerThread') return 'worker threads';
  if (name === 'V8Worker') return 'V8 helpers';
  return 'other';
}

interface ThreadTimes {
  group: ThreadGroup;
  ticks: number;
  systemTicks: number;
}

/** Ticks used so far by each live thread, by thread id, with its group. */
function threadTicks(pid: number): Map<number, ThreadTimes> {
  const threads = new Map<number, ThreadTimes>();
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    const tid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/task/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      threads.set(tid, { group: groupOf(pid, tid, name), ...statTimes(stat) });
    } catch {
      // The thread ended between the listing and the read: the total still counts it.
    }
  }
  return threads;
}

export interface CpuUse {
  /** Seconds of CPU, all threads. */
  total: number;
  /** Of `total`, the system time: the kernel's work for the process (its reads, writes, page faults). */
  system: number;
  /** Seconds by thread group; threads that ended meanwhile count under "other". */
  byGroup: Record<ThreadGroup, number>;
  /**
   * Of the event loop's seconds, the system time. Beside a bare proxy making
   * the same reads and writes, it tells the kernel's extra work for a server
   * (waking other threads) from its JavaScript.
   */
  eventLoopSystem: number;
}

/**
 * Starts counting; the returned function gives the CPU used since. The
 * process's totals are read before its threads at the start and after them at
 * the end, so a thread that runs between the two reads can only add to the
 * total: no thread's time, nor the event loop's system time, ever exceeds it.
 */
export function watchCpu(pid: number): () => CpuUse {
  const timesBefore = processTimes(pid);
  const before = threadTicks(pid);
  return () => {
    const threads = threadTicks(pid);
    const times = processTimes(pid);
    const total = times.ticks - timesBefore.ticks;
    const system = times.systemTicks - timesBefore.systemTicks;
    const byGroup: Record<ThreadGroup, number> = {
      'event loop': 0,
      'worker threads': 0,
      'V8 helpers': 0,
      other: 0,
    };
    let eventLoopSystem = 0;
    for (const [tid, thread] of threads) {
      const earlier = before.get(tid);
      byGroup[thread.group] += thread.ticks - (earlier?.ticks ?? 0);
      if (tid === pid) eventLoopSystem = thread.systemTicks - (earlier?.systemTicks ?? 0);
    }
    const counted = threadGroups.reduce((sum, group) => sum + byGroup[group], 0);
    byGroup.other += Math.max(0, total - counted);
    const seconds = (ticks: number) => ticks / ticksPerSecond;
    return {
      total: seconds(total),
      system: seconds(system),
      byGroup: Object.fromEntries(
        threadGroups.map((group) => [group, seconds(byGroup[group])]),
      ) as Record<ThreadGroup, number>,
      eventLoopSystem: seconds(eventLoopSystem),
    };
  };
}
