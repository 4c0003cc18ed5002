import { AgentRpcError } from '@agentrpc/core';
import { describe, expect, it } from 'vitest';
import { AdmissionLimit, type LoadWindow } from './admission-limit.ts';
import { RunSlots } from './run-slots.ts';

const calm: Omit<LoadWindow, 'running'> = {
  utilization: 0.3,
  saturated: false,
  longestDelayMs: 5,
};

describe('AdmissionLimit', () => {
  it('starts at 64 and grows by a tenth per calm window while it holds runs back, at most every other window', () => {
    const limit = new AdmissionLimit({ max: 1000 });
    expect(limit.value).toBe(64);
    limit.adjust({ running: 64, ...calm });
    expect(limit.value).toBe(71);
    limit.adjust({ running: 71, ...calm }); // the runs just let in have not shown their load yet
    expect(limit.value).toBe(71);
    limit.adjust({ running: 64, ...calm }); // 90 % of the limit taken counts as holding back
    expect(limit.value).toBe(79);
  });

  it('does not grow while runs stay under it, or while the loop is busy', () => {
    const idle = new AdmissionLimit({ max: 1000 });
    idle.adjust({ running: 20, ...calm });
    expect(idle.value).toBe(64);
    const busy = new AdmissionLimit({ max: 1000 });
    busy.adjust({ running: 64, ...calm, utilization: 0.5 });
    expect(busy.value).toBe(64);
  });

  it('reads how busy the loop is over several windows and in the newest: one quiet window does not let it grow', () => {
    const limit = new AdmissionLimit({ max: 1000 });
    const window = (utilization: number) => limit.adjust({ running: 64, ...calm, utilization });
    window(0.55);
    window(0.55);
    window(0.2); // 0.445 over the windows so far: still busy
    expect(limit.value).toBe(64);
    window(0.45); // 0.447 over them, and the newest busy
    expect(limit.value).toBe(64);
    window(0.2); // 0.373: time to spare
    expect(limit.value).toBe(71);
    const quiet = new AdmissionLimit({ max: 1000 });
    quiet.adjust({ running: 0, ...calm, utilization: 0.1 });
    quiet.adjust({ running: 64, ...calm, utilization: 0.45 }); // 0.205 over both, but the newest busy
    expect(quiet.value).toBe(64);
  });

  it('drops under the runs going while they fill it and the loop stays busy, even when it is not late', () => {
    const limit = new AdmissionLimit({ max: 1000, initial: 500 });
    limit.adjust({ running: 400, ...calm, utilization: 0.95 });
    expect(limit.value).toBe(500); // not full: the runs are not what keeps the loop busy
    limit.adjust({ running: 500, ...calm, utilization: 0.95 });
    expect(limit.value).toBe(450);
  });

  it('keeps what a fresh server takes at once while its loop is busy starting', () => {
    const limit = new AdmissionLimit({ max: 1000 });
    limit.adjust({ running: 0, ...calm, utilization: 1 });
    limit.adjust({ running: 40, ...calm, utilization: 1 });
    expect(limit.value).toBe(64);
  });

  it('drops under the runs going while the loop runs late, never below its floor', () => {
    const limit = new AdmissionLimit({ max: 1000, initial: 500 });
    limit.adjust({ running: 400, ...calm, utilization: 1, saturated: true });
    expect(limit.value).toBe(360);
    limit.adjust({ running: 400, ...calm, utilization: 1, saturated: true });
    expect(limit.value).toBe(360); // from the runs going, not from itself: no collapse while they drain
    limit.adjust({ running: 10, ...calm, utilization: 1, saturated: true });
    expect(limit.value).toBe(250); // half of where it started
  });

  it('does not grow while a tick of the loop ran more than 20 ms late, though the loop had time to spare', () => {
    const limit = new AdmissionLimit({ max: 1000 });
    limit.adjust({ running: 64, ...calm, longestDelayMs: 25 });
    expect(limit.value).toBe(64);
    limit.adjust({ running: 64, ...calm, longestDelayMs: 20 });
    expect(limit.value).toBe(71);
  });

  it('drops under the runs going when a tick ran more than 40 ms late while they fill it', () => {
    const limit = new AdmissionLimit({ max: 1000, initial: 500 });
    limit.adjust({ running: 400, ...calm, longestDelayMs: 60 });
    expect(limit.value).toBe(500); // not full: one long turn of a loop with room says little
    limit.adjust({ running: 500, ...calm, longestDelayMs: 40 });
    expect(limit.value).toBe(500);
    limit.adjust({ running: 500, ...calm, longestDelayMs: 41 });
    expect(limit.value).toBe(450);
  });

  it('stays within maxRunningRuns', () => {
    const small = new AdmissionLimit({ max: 10 });
    expect(small.value).toBe(10);
    small.adjust({ running: 10, ...calm });
    expect(small.value).toBe(10);
    small.adjust({ running: 0, ...calm, utilization: 1, saturated: true });
    expect(small.value).toBe(10);
  });
});

describe('RunSlots with a load', () => {
  const limits = {
    maxRunningRuns: 1000,
    maxConcurrentRunsPerUser: 1000,
    maxSubscriptionsPerUser: 1,
  };
  const load = { saturated: false, delayMs: 0, longestDelayMs: 5, utilization: 0.3, windows: 0 };

  const refusal = (slots: RunSlots) => {
    try {
      slots.reserveRun('u');
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('refuses runs above the admission limit until a window lets it grow', () => {
    const refused: string[] = [];
    const slots = new RunSlots(limits, { load, onRefused: (limit) => refused.push(limit) });
    expect(slots.admissionLimit).toBe(64);
    for (let i = 0; i < 64; i++) slots.reserveRun('u');
    expect(refusal(slots)).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: 1,
      message: expect.stringContaining('takes 64 runs at once'),
    });
    load.windows++;
    for (let i = 0; i < 7; i++) slots.reserveRun('u');
    expect(slots.running).toBe(71);
    expect(slots.admissionLimit).toBe(71);
    expect(refusal(slots)).toBeInstanceOf(AgentRpcError);
    expect(refused).toEqual(['admission', 'admission']);
  });

  it('starts where limits.admissionStart says, and drops no lower than half of it', () => {
    const busy = { ...load };
    const slots = new RunSlots({ ...limits, admissionStart: 200 }, { load: busy });
    for (let i = 0; i < 200; i++) slots.reserveRun('u');
    expect(refusal(slots)).toMatchObject({ message: expect.stringContaining('takes 200 runs') });
    busy.saturated = true;
    busy.windows++;
    refusal(slots);
    expect(slots.admissionLimit).toBe(180);
    const low = new AdmissionLimit({ max: 1000, initial: 200 });
    low.adjust({ running: 0, ...calm, utilization: 1, saturated: true });
    expect(low.value).toBe(100);
  });

  it('says what would refuse a run whoever asked, counting it, without taking a slot', () => {
    const refused: string[] = [];
    const slots = new RunSlots(
      { ...limits, maxRunningRuns: 2, maxConcurrentRunsPerUser: 1 },
      { onRefused: (limit) => refused.push(limit) },
    );
    slots.reserveRun('u');
    // u is at its own limit, which is not the process's: anyone else may start.
    expect(slots.refusalForAnyone()).toBeUndefined();
    slots.reserveRun('v');
    expect(slots.refusalForAnyone()).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
    expect(refused).toEqual(['running_runs']);
    expect(slots.running).toBe(2);
  });

  it('has no admission limit without a load to learn it from', () => {
    const slots = new RunSlots(limits);
    for (let i = 0; i < 200; i++) slots.reserveRun('u');
    expect(slots.admissionLimit).toBeUndefined();
  });

  it('refuses every new run while saturated, and lowers the limit under the runs going', () => {
    const busy = { ...load, windows: 1 };
    const slots = new RunSlots(limits, { load: busy });
    const releases = Array.from({ length: 50 }, () => slots.reserveRun('u'));
    busy.saturated = true;
    busy.delayMs = 120;
    busy.windows++;
    expect(refusal(slots)).toMatchObject({ message: expect.stringContaining('saturated') });
    busy.saturated = false;
    busy.windows++;
    for (const release of releases.slice(0, 20)) release();
    // 45 now, from the 50 going then: 30 going and 15 to come.
    for (let i = 0; i < 15; i++) slots.reserveRun('u');
    expect(refusal(slots)).toMatchObject({ message: expect.stringContaining('takes 45 runs') });
  });
});
