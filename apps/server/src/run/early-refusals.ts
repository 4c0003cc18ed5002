// Turns new runs away as early as each transport can while the process
// refuses them (saturated, at its admission limit, or at limits.maxRunningRuns),
// rather than at the end of the procedure's way in: tRPC's middleware, the
// input's validation and the store's look for a run the request repeats. A
// saturated server refuses hundreds of requests a second, in clumps as refused
// clients come back together after their Retry-After, and the runs it admits
// waited behind those refusals for their first token (docs/performance-notes.md,
// "Refusals before the work"). Every call that takes a run slot is refused
// this way: a runs.stream, a runs.start, a runs.continue (a paused run goes on
// in a slot of its own). The /v1 facade asks the same question before its chat
// completions (openai/openai-routes.ts).
import type { RunKey } from '@agentrpc/core';
import type { TRPCError } from '@trpc/server';
import type { Context } from '../trpc/context.ts';
import { toTRPCError } from '../trpc/error-codes.ts';
import type { RunManager } from './run-manager.ts';

/** Calls whose procedures take a run slot (a new run, or a paused one going on), and are refused there. */
const takesRunSlot = new Set(['runs.stream', 'runs.start', 'runs.continue']);

type Runs = Pick<RunManager, 'refusalOfNewRun'>;

/**
 * Over HTTP, where each call is a request of its own: a runs.stream over SSE
 * that does not resume, or a lone runs.start or runs.continue, is refused
 * before its credential is checked or anything it sent is read, so a refusal
 * costs little more than the request's own parsing. A runs.stream repeating
 * a run that is going here is refused too while the process refuses (it
 * cannot be told from a new one unread); after its Retry-After it follows the
 * run, whose events wait in the log meanwhile.
 */
export function refusalBeforeAuth(runs: Runs) {
  return (path: string): TRPCError | undefined => {
    if (!takesRunSlot.has(path)) return undefined;
    const refusal = runs.refusalOfNewRun();
    return refusal && toTRPCError(refusal);
  };
}

/** A call about to be made: its caller authenticated, its input read. */
export interface CallAboutToStart {
  path: string;
  ctx: Context;
  /** As the procedure gets it, with the event id it resumes from, if any. */
  input: unknown;
}

/** The string the input has under `name`, if it is an object that has one. */
function stringIn(input: unknown, name: 'runId' | 'lastEventId'): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const value: unknown = (input as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Over WebSocket, where the connection is authenticated already: a call that
 * would take a run slot is refused before its procedure. A runs.stream naming
 * a run of the caller's going here follows it; one that resumes goes to its
 * procedure, which decides.
 */
export function refusalBeforeCall(runs: Runs) {
  return (call: CallAboutToStart): TRPCError | undefined => {
    const userId = call.ctx.principal?.userId;
    if (!userId || !takesRunSlot.has(call.path)) return undefined;
    const streams = call.path === 'runs.stream';
    if (streams && stringIn(call.input, 'lastEventId')) return undefined;
    const runId = streams ? stringIn(call.input, 'runId') : undefined;
    const repeats: RunKey | undefined = runId === undefined ? undefined : { userId, runId };
    const refusal = runs.refusalOfNewRun(repeats);
    return refusal && toTRPCError(refusal);
  };
}
