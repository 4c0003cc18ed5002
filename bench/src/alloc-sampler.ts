// A preload for the server under load (`SERVER_NODE_OPTIONS=--import=…/alloc-sampler.ts`
// in `bench:load`): samples what every thread allocates, including objects
// already collected (or, with ALLOC_SURVIVORS=1, only what outlived a
// scavenge), for ALLOC_LENGTH_MS from ALLOC_START_MS after start, and
// writes one `.heapprofile` per thread to ALLOC_OUT-<pid>-<thread>. Garbage
// collection is a large share of a streaming server's CPU; this says which
// code makes the garbage. Read the files with alloc-top.ts.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { threadId } from 'node:worker_threads';

const session = new Session();
session.connect();

function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

const startMs = Number(process.env.ALLOC_START_MS ?? 8000);
const lengthMs = Number(process.env.ALLOC_LENGTH_MS ?? 8000);
const out = process.env.ALLOC_OUT ?? '/tmp/alloc';
/**
 * ALLOC_SURVIVORS=1 leaves out objects a scavenge collected: what is left
 * outlived the young generation, which is what scavenges copy and what the
 * old generation's collections then mark and sweep.
 */
const survivorsOnly = process.env.ALLOC_SURVIVORS === '1';

async function sample(): Promise<void> {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !survivorsOnly,
  });
  setTimeout(() => {
    post<{ profile: unknown }>('HeapProfiler.stopSampling').then(
      ({ profile }) =>
        writeFileSync(`${out}-${process.pid}-${threadId}.heapprofile`, JSON.stringify(profile)),
      (error: unknown) => console.error('alloc-sampler:', error),
    );
  }, lengthMs).unref();
}

setTimeout(() => {
  sample().catch((error: unknown) => console.error('alloc-sampler:', error));
}, startMs).unref();
