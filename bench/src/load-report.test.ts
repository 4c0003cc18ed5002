import { describe, expect, it } from 'vitest';
import type { Measured } from './load-measure.ts';
import { loadSection } from './load-report.ts';

/** A throughput row with the figures the ratio table reads. */
function measured(path: string, figures: { cpu: number; gap: number; rss: number }): Measured {
  return {
    path,
    streams: 500,
    figures: {
      peakLive: 500,
      completed: 500,
      shed: 0,
      errors: 0,
      errorReasons: {},
      lateness: [0],
      addedGaps: [figures.gap],
      gapPhases: { starting: [], steady: [figures.gap], ending: [] },
      ttfts: [100],
      saturatedTtfts: [],
      runStarts: [],
      wallS: 12,
    },
    middle: {
      rssMiB: figures.rss,
      cpuPerChunkUs: figures.cpu,
      systemPerChunkUs: 0,
      cpuPerChunkByThreadUs: {
        'event loop': figures.cpu,
        'worker threads': 0,
        'V8 helpers': 0,
        other: 0,
      },
      eventLoopSystemPerChunkUs: 0,
    },
  };
}

const proxy = (cpu: number, gap: number) =>
  measured('bare proxy (node:http, SSE)', { cpu, gap, rss: 100 });
const server = (cpu: number, gap: number) =>
  measured('agentrpc server + raw client, SSE', { cpu, gap, rss: 200 });

function ratioRow(throughput: Measured[]): string | undefined {
  const section = loadSection({
    store: 'sqlite:/tmp/x.db',
    throughput,
    overload: [],
    overloadRuns: 3,
    held: [],
    pairs: 3,
    peers: [],
    peersSkipped: 'not run',
  });
  return section.split('\n').find((line) => line.startsWith('| 500 | SSE |'));
}

describe('the load section’s ratio table', () => {
  it('reads each server run against the proxy run before it, and each target on the median pair', () => {
    // Pairs of ratios 1.2, 1.6 and 1.4; gaps 10 against a bound of 25, 40 against 25, 20 against 25.
    const row = ratioRow([
      proxy(50, 10),
      server(60, 10),
      proxy(40, 10),
      server(64, 40),
      proxy(60, 10),
      server(84, 20),
    ]);
    expect(row).toContain('1.40× (yes; 2 of 3 pairs: 1.20×, 1.60×, 1.40×)');
    expect(row).toContain('20.0 ≤ 25.0 (yes; 2 of 3 pairs)');
    expect(row).toContain('200 ≤ 300 (yes; 3 of 3 pairs)');
    expect(row).toContain('0 errors, 1500/1500 complete (yes)');
  });

  it('takes the worse of the middle two of an even number of pairs', () => {
    const row = ratioRow([proxy(50, 10), server(60, 10), proxy(50, 10), server(80, 10)]);
    expect(row).toContain('1.60× (**no**; 1 of 2 pairs: 1.20×, 1.60×)');
  });

  it('gives a lone pair its verdict without counting pairs', () => {
    const row = ratioRow([proxy(50, 10), server(70, 10)]);
    expect(row).toContain('| 1.40× (yes) | 10.0 ≤ 25.0 (yes) |');
  });
});

describe('the section on overload that lasts', () => {
  it('reads the first tokens of runs asked for while the server was saturated', () => {
    const floor = measured('node:http, direct (floor)', { cpu: 0, gap: 1, rss: 0 });
    floor.figures.ttfts = [100];
    const server = measured(
      'agentrpc server + raw client, SSE (one core, shedding above 300 running runs)',
      {
        cpu: 100,
        gap: 20,
        rss: 200,
      },
    );
    // The first runs met an idle server; those asked for later waited longer.
    server.figures.ttfts = [101, 101, 130];
    server.figures.saturatedTtfts = [130];
    server.retried = true;
    const section = loadSection({
      store: 'sqlite',
      throughput: [],
      overload: [],
      overloadRuns: 1,
      held: [floor, server],
      heldArrivals: { rampMs: 10_000, retryShedForMs: 20_000 },
      pairs: 1,
      peers: [],
      peersSkipped: 'not run',
    });
    expect(section).toContain('### Overload that lasts');
    expect(section).toContain('Streams arrive over 10 s (HELD_RAMP_MS)');
    expect(section).toContain(
      'added TTFT p99 30 ms (TTFT p99 130 of the 1 asked for while it was saturated, less 100) against 2 × gap p99 = 40 ms (yes)',
    );
  });
});
