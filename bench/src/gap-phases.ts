// Where in a load run its added gaps fall: while streams are still starting
// (until the last stream's first chunk), while every stream runs (steady), or
// while they end (from the first stream's last chunk on). A server pays for a
// run's start and end far more than for one of its chunks, so a burst of
// starts or ends can make a gap p99 that carrying the streams does not; the
// split tells the two apart.

/** An added gap and when its chunk arrived (ms since the load began). */
export interface TimedGap {
  at: number;
  gap: number;
}

/** When a stream's first and last chunks arrived (ms since the load began). */
export interface StreamSpan {
  firstAt: number;
  lastAt: number;
}

export const gapPhases = ['starting', 'steady', 'ending'] as const;
export type GapPhase = (typeof gapPhases)[number];

/**
 * The gaps by phase. `spans` are the streams that completed: the last of
 * their first chunks ends the start, the first of their last chunks begins
 * the end. Streams shorter than the ramp have no steady phase; with no
 * stream complete, every gap counts as steady.
 */
export function gapsByPhase(gaps: TimedGap[], spans: StreamSpan[]): Record<GapPhase, number[]> {
  const allStarted = Math.max(...spans.map((span) => span.firstAt));
  const firstEnded = Math.min(...spans.map((span) => span.lastAt));
  const phases: Record<GapPhase, number[]> = { starting: [], steady: [], ending: [] };
  for (const { at, gap } of gaps) {
    if (at >= firstEnded) phases.ending.push(gap);
    else if (at <= allStarted) phases.starting.push(gap);
    else phases.steady.push(gap);
  }
  return phases;
}
