import { describe, expect, it } from 'vitest';
import { watchMachine } from './machine-cpu.ts';

describe('watchMachine', () => {
  it("counts this process's spinning in the machine's busy time", () => {
    const machine = watchMachine();
    const end = Date.now() + 300;
    while (Date.now() < end) {
      // spins on one core
    }
    const { busyShare, busySeconds } = machine();
    // At least most of the 0.3 s spun, whatever else the machine did meanwhile.
    expect(busySeconds).toBeGreaterThanOrEqual(0.2);
    expect(busyShare).toBeGreaterThan(0);
    expect(busyShare).toBeLessThanOrEqual(1);
  });

  it('reads nothing busy over no time', () => {
    const { busyShare, busySeconds } = watchMachine()();
    expect(busySeconds).toBeLessThan(0.05);
    expect(busyShare).toBeGreaterThanOrEqual(0);
  });
});
