import { describe, expect, it } from 'vitest';
import { joinedRuns } from './joined-runs.ts';

/** A task whose runs end when told, noting each start. */
function gatedTask(outcomes: ('ok' | 'fail')[] = []) {
  const started: number[] = [];
  const gates: (() => void)[] = [];
  let onStart: () => void = () => {};
  const task = async () => {
    const index = started.length;
    started.push(index);
    onStart();
    await new Promise<void>((resolve) => gates.push(resolve));
    if (outcomes[index] === 'fail') throw new Error(`run ${index} failed`);
  };
  const nextStart = () =>
    new Promise<void>((resolve) => {
      onStart = resolve;
    });
  const open = (index: number) => gates[index]?.();
  return { task, started, nextStart, open };
}

describe('joinedRuns', () => {
  it('runs one at a time, and calls made while one runs share the next', async () => {
    const { task, started, nextStart, open } = gatedTask();
    const run = joinedRuns(task);
    let starting = nextStart();
    const first = run();
    expect(run()).toBe(first); // not started yet: it will see this caller's work too
    await starting;
    starting = nextStart();
    const [second, third] = [run(), run()];
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    expect(started).toEqual([0]);
    open(0);
    await first;
    await starting;
    expect(started).toEqual([0, 1]);
    open(1);
    await second;
  });

  it('gives a failure to the callers of that run only', async () => {
    const { task, nextStart, open } = gatedTask(['fail', 'ok']);
    const run = joinedRuns(task);
    let starting = nextStart();
    const failing = run();
    await starting;
    starting = nextStart();
    const after = run();
    open(0);
    await expect(failing).rejects.toThrow('run 0 failed');
    await starting;
    open(1);
    await expect(after).resolves.toBeUndefined();
  });
});
