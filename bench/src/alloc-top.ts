// `node bench/src/alloc-top.ts <file.heapprofile> <units> [top]`: the bytes
// each function allocated in a sampled heap profile (alloc-sampler.ts), per
// unit of work (e.g. the chunks delivered while it sampled), largest first.
import { readFileSync } from 'node:fs';
import { type CallFrame, frameKey } from './profile-frame.ts';

interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  children: ProfileNode[];
}

/** Self bytes by frame (function, file, line). */
function selfBytes(head: ProfileNode): Map<string, number> {
  const bytes = new Map<string, number>();
  const pending = [head];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const key = frameKey(node.callFrame);
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    pending.push(...node.children);
  }
  return bytes;
}

const [file, unitArg, topArg] = process.argv.slice(2);
if (!file || !unitArg) {
  console.error('usage: alloc-top.ts <file.heapprofile> <units> [top]');
  process.exit(2);
}
const units = Number(unitArg);
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
const bytes = selfBytes(head);
const total = [...bytes.values()].reduce((sum, b) => sum + b, 0);
console.log(`allocated per unit: ${(total / units).toFixed(0)} bytes`);
for (const [frame, b] of [...bytes].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 30))) {
  const share = ((100 * b) / total).toFixed(1);
  console.log(`${(b / units).toFixed(0).padStart(8)} B ${share.padStart(6)} %  ${frame}`);
}
