import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { watchCpu } from './process-cpu.ts';

// A child whose main thread and worker thread each spin for a known time when
// told to, and then stay alive (idle) until stdin closes. The thread its
// argument names (main or worker; none by default) spins reading /dev/zero,
// which is the kernel's work, instead of looping in JavaScript.
const child = `
const { Worker } = require('node:worker_threads');
const reader = process.argv[1];
const spin = (ms, reads) => {
  const fs = require('node:fs');
  const zero = fs.openSync('/dev/zero', 'r');
  const buffer = Buffer.alloc(256 * 1024);
  const end = Date.now() + ms;
  while (Date.now() < end) if (reads) fs.readSync(zero, buffer);
};
const worker = new Worker(
  "const { parentPort, workerData } = require('node:worker_threads'); const spin = " + spin +
    "; parentPort.once('message', () => { spin(600, workerData); parentPort.postMessage('spun'); }); setInterval(() => {}, 1000);",
  { eval: true, workerData: reader === 'worker' },
);
console.log('ready');
process.stdin.once('data', () => {
  worker.postMessage('go');
  spin(300, reader === 'main');
  worker.once('message', () => console.log('done'));
});
process.stdin.on('end', () => process.exit(0));
`;

/** Runs the child once and returns what watchCpu saw of it. */
async function measureChild(reader: 'none' | 'main' | 'worker') {
  const proc = spawn(process.execPath, ['-e', child, reader], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  const used = watchCpu(proc.pid ?? 0);
  proc.stdin.write('go\n');
  expect((await lines.next()).value).toBe('done');
  const use = used();
  proc.stdin.end();
  await once(proc, 'exit');
  return use;
}

/**
 * Linux splits a thread's CPU time, and the process's, into user and system
 * time each on its own (scaling the exact run time by sampled ticks), so a
 * thread's system time can come out a tick above its share of the process's.
 */
const tick = 0.01;

describe('watchCpu', () => {
  it("splits a process's CPU time between its event loop and its worker threads", async () => {
    const { total, system, byGroup, eventLoopSystem } = await measureChild('none');

    expect(byGroup['worker threads']).toBeGreaterThanOrEqual(0.3);
    expect(byGroup['worker threads']).toBeLessThan(0.8);
    expect(byGroup['event loop']).toBeGreaterThanOrEqual(0.15);
    expect(byGroup['event loop']).toBeLessThan(0.5);
    const counted = Object.values(byGroup).reduce((sum, seconds) => sum + seconds, 0);
    expect(counted).toBeCloseTo(total, 5);
    // Spinning is user time: the kernel's share stays small.
    expect(system).toBeGreaterThanOrEqual(0);
    expect(system).toBeLessThan(0.25 * total);
    expect(eventLoopSystem).toBeGreaterThanOrEqual(0);
    expect(eventLoopSystem).toBeLessThanOrEqual(system + tick);
    expect(eventLoopSystem).toBeLessThan(0.25 * byGroup['event loop']);
  });

  it("tells the event loop's kernel time from the other threads'", async () => {
    const mainReads = await measureChild('main');
    expect(mainReads.eventLoopSystem).toBeGreaterThan(0.5 * mainReads.byGroup['event loop']);
    expect(mainReads.eventLoopSystem).toBeGreaterThan(0.8 * mainReads.system);
    expect(mainReads.eventLoopSystem).toBeLessThanOrEqual(mainReads.system + tick);

    const workerReads = await measureChild('worker');
    expect(workerReads.system).toBeGreaterThan(0.3 * workerReads.byGroup['worker threads']);
    expect(workerReads.eventLoopSystem).toBeLessThan(0.2 * workerReads.system);
  });
});
