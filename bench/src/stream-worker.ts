// Measures one client's streaming CPU in a process of its own, so no other
// framework's JIT state or garbage touches the figures. Prints JSON samples.
import { measureStream } from './measure.ts';
import { peers, plainOpenAI } from './peers.ts';

const runnerName = process.env.RUNNER ?? '';
const baseURL = process.env.BASE_URL ?? '';
const chunks = Number(process.env.CHUNKS);
const rounds = Number(process.env.ROUNDS);
const runner = [plainOpenAI, ...peers].find((r) => r.name === runnerName);
if (!runner) throw new Error(`unknown runner ${runnerName}`);

for (let i = 0; i < 3; i++) await runner.stream(baseURL); // warm-up
const samples: number[] = [];
for (let round = 0; round < rounds; round++) {
  samples.push((await measureStream(() => runner.stream(baseURL), chunks)).cpuUs);
}
process.stdout.write(`${JSON.stringify(samples)}\n`);
