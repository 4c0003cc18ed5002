// The response cache: a deterministic model (temperature 0) sent exactly the
// same request answers from the store instead of the provider, for one user.
import { createHash } from 'node:crypto';
import type { ModelRequest } from '../model/types.ts';
import type { CachedResponse, CacheKey } from '../store/types.ts';
import { type ActiveRun, nextEvent } from './active-run.ts';
import { type AssistantTurn, recordTurn } from './assistant-turn.ts';

/** The cache key of a request, or undefined when this run must not use the cache. */
export function cacheKeyOf(run: ActiveRun, request: ModelRequest): CacheKey | undefined {
  if (!run.cache || !run.model.deterministic) return undefined;
  const { signal: _signal, ...sent } = request;
  const key = createHash('sha256')
    .update(JSON.stringify({ model: run.model.id, ...sent }))
    .digest('hex');
  return { userId: run.toolContext.userId, key };
}

/** Plays a cached answer into the run as if the model had just given it. */
export function replayCached(run: ActiveRun, cached: CachedResponse): AssistantTurn {
  const metrics = run.output.metrics;
  metrics.cacheHits = (metrics.cacheHits ?? 0) + 1;
  if (cached.reasoning)
    run.emit(nextEvent(run, { type: 'run.reasoning', delta: cached.reasoning }));
  if (cached.content) {
    metrics.timeToFirstTokenMs ??= Math.round(performance.now() - run.startedAt);
    run.emit(nextEvent(run, { type: 'run.content', delta: cached.content }));
  }
  return recordTurn(run, {
    content: cached.content,
    reasoning: cached.reasoning ?? '',
    toolCalls: cached.toolCalls,
  });
}
