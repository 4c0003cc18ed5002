import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { watchCpu } from './process-cpu.ts';

// A child whose main thread and worker thread each spin for a known time when
// told to, and then stay alive (idle) until stdin closes.
const child = `
const { Worker } = require('node:worker_threads');
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end); };
const worker = new Worker("const { parentPort } = require('node:worker_threads'); parentPort.once('message', () => { const end = Date.now() + 600; while (Date.now() < end); parentPort.postMessage('spun'); }); setInterval(() => {}, 1000);", { eval: true });
console.log('ready');
process.stdin.once('data', () => {
  worker.postMessage('go');
  spin(300);
  worker.once('message', () => console.log('done'));
});
process.stdin.on('end', () => process.exit(0));
`;

describe('watchCpu', () => {
  it("splits a process's CPU time between its event loop and its worker threads", async () => {
    const proc = spawn(process.execPath, ['-e', child], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const used = watchCpu(proc.pid ?? 0);
    proc.stdin.write('go\n');
    expect((await lines.next()).value).toBe('done');
    const { total, system, byGroup } = used();
    proc.stdin.end();
    await once(proc, 'exit');

    expect(byGroup['worker threads']).toBeGreaterThanOrEqual(0.3);
    expect(byGroup['worker threads']).toBeLessThan(0.8);
    expect(byGroup['event loop']).toBeGreaterThanOrEqual(0.15);
    expect(byGroup['event loop']).toBeLessThan(0.5);
    const counted = Object.values(byGroup).reduce((sum, seconds) => sum + seconds, 0);
    expect(counted).toBeCloseTo(total, 5);
    // Spinning is user time: the kernel's share stays small.
    expect(system).toBeGreaterThanOrEqual(0);
    expect(system).toBeLessThan(0.25 * total);
  });
});
