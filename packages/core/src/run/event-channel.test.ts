import { describe, expect, it } from 'vitest';
import { EventChannel } from './event-channel.ts';
import { pushTo } from './event-feed.ts';
import type { RunEvent } from './events.ts';

const content = (seq: number, delta = `${seq}`): RunEvent => ({
  type: 'run.content',
  runId: 'r',
  seq,
  createdAt: 0,
  delta,
});

describe('EventChannel pushed to a sink', () => {
  it('hands over what was buffered, then each event as it is pushed', () => {
    const channel = new EventChannel(() => {});
    channel.push(content(1));
    const seen: number[] = [];
    let ended = false;
    channel[pushTo]({
      value: (event) => {
        seen.push(event.seq);
        return true;
      },
      end: () => {
        ended = true;
      },
      fail: () => {},
    });
    expect(seen).toEqual([1]);
    channel.push(content(2));
    expect(seen).toEqual([1, 2]);
    channel.end();
    expect(ended).toBe(true);
  });

  it('merges deltas while the sink is paused, and fails after the buffered events', () => {
    const channel = new EventChannel(() => {});
    const seen: string[] = [];
    let failure: unknown;
    let wantMore = false;
    const control = channel[pushTo]({
      value: (event) => {
        seen.push(event.type === 'run.content' ? event.delta : event.type);
        return wantMore;
      },
      end: () => {},
      fail: (error) => {
        failure = error;
      },
    });
    channel.push(content(1, 'a'));
    channel.push(content(2, 'b'));
    expect(channel.mergeDelta('run.content', 'c')).toBe(true);
    channel.fail(new Error('model went away'));
    expect(seen).toEqual(['a']);
    expect(failure).toBeUndefined();
    wantMore = true;
    control.resume();
    expect(seen).toEqual(['a', 'bc']);
    expect(String(failure)).toContain('model went away');
  });

  it('cancels the run when the sink stops', () => {
    let abandoned = 0;
    const channel = new EventChannel(() => abandoned++);
    const control = channel[pushTo]({ value: () => true, end: () => {}, fail: () => {} });
    control.stop();
    expect(abandoned).toBe(1);
    expect(channel.abandoned).toBe(true);
  });
});
