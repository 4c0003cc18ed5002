// `node bench/src/profile-diff.ts <short.cpuprofile> <long.cpuprofile> <chunks>`:
// where a server's CPU goes per streamed chunk. Two CPU profiles of the same
// load, one with streams of fewer chunks than the other (CHUNKS=50 and 400 in
// `bench:load` with SERVER_NODE_OPTIONS=--cpu-prof): what both spend on
// starting up, warming up and starting runs cancels out, and each function's
// self time left over, divided by how many more chunks the long run
// delivered, is its cost per chunk. Prints the top frames in µs per chunk.
import { readFileSync } from 'node:fs';
import { type CallFrame, frameKey } from './profile-frame.ts';

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs by frame (function, file, line). */
function selfTimes(file: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const times = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    if (!frame) return;
    const key = frameKey(frame);
    times.set(key, (times.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return times;
}

const [shortRun, longRun, chunkArg, topArg] = process.argv.slice(2);
if (!shortRun || !longRun || !chunkArg) {
  console.error('usage: profile-diff.ts <short.cpuprofile> <long.cpuprofile> <chunks> [top]');
  process.exit(2);
}
const chunks = Number(chunkArg);
const [short, long] = [selfTimes(shortRun), selfTimes(longRun)];
const perChunk = [...new Set([...short.keys(), ...long.keys()])]
  .filter((frame) => !frame.startsWith('(idle)'))
  .map((frame) => [frame, ((long.get(frame) ?? 0) - (short.get(frame) ?? 0)) / chunks] as const)
  .sort((a, b) => b[1] - a[1]);
const busy = perChunk.reduce((sum, [, us]) => sum + us, 0);
console.log(`busy µs per chunk: ${busy.toFixed(1)}`);
for (const [frame, us] of perChunk.slice(0, Number(topArg ?? 25))) {
  console.log(
    `${us.toFixed(2).padStart(7)}  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${frame}`,
  );
}
