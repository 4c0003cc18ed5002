// Prometheus metrics for /metrics: runs, tokens, cost, latency, live runs and
// subscriptions, runs refused and the admission limit, and how long store
// calls take. One registry per server.
import type { RunEvent, Store } from '@agentrpc/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly runs = new Counter({
    name: 'agentrpc_runs_total',
    help: 'Runs ended, by agent and status',
    labelNames: ['agent', 'status'],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'agentrpc_tokens_total',
    help: 'Model tokens, by agent and kind (input, output)',
    labelNames: ['agent', 'kind'],
    registers: [this.registry],
  });
  readonly cost = new Counter({
    name: 'agentrpc_cost_usd_total',
    help: 'Model cost in USD where prices are known, by agent',
    labelNames: ['agent'],
    registers: [this.registry],
  });
  readonly timeToFirstToken = new Histogram({
    name: 'agentrpc_time_to_first_token_seconds',
    help: 'Time from run start to the first content token',
    labelNames: ['agent'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly runDuration = new Histogram({
    name: 'agentrpc_run_duration_seconds',
    help: 'Run duration, by agent and status',
    labelNames: ['agent', 'status'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly cacheHits = new Counter({
    name: 'agentrpc_cache_hits_total',
    help: 'Model answers served from the response cache, by agent',
    labelNames: ['agent'],
    registers: [this.registry],
  });
  readonly activeRuns = new Gauge({
    name: 'agentrpc_active_runs',
    help: 'Runs going in this process',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'agentrpc_active_subscriptions',
    help: 'Readers following runs',
    registers: [this.registry],
  });
  readonly peerReads = new Counter({
    name: 'agentrpc_peer_reads_total',
    help: 'Readers here of runs live on another instance, by how reading them from there went',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly peerStreams = new Gauge({
    name: 'agentrpc_peer_streams',
    help: "Runs live here streamed to other instances' readers",
    registers: [this.registry],
  });
  readonly runsRefused = new Counter({
    name: 'agentrpc_runs_refused_total',
    help: 'New runs refused before they started, by the limit that refused them',
    labelNames: ['limit'],
    registers: [this.registry],
  });
  /** Where the admission limit is read from; none while admission is off. */
  #admission: (() => number | undefined) | undefined;
  readonly admissionLimit = new Gauge({
    name: 'agentrpc_admission_limit',
    help: 'Runs this process takes at once for now, learned from its load (absent while off)',
    registers: [this.registry],
    collect: () => {
      const limit = this.#admission?.();
      if (limit !== undefined) this.admissionLimit.set(limit);
    },
  });
  readonly storeLatency = new Histogram({
    name: 'agentrpc_store_operation_seconds',
    help: 'Store call duration, by operation and outcome',
    labelNames: ['operation', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'agentrpc_process_' });
  }

  /** Reports the admission limit `read` gives at every scrape. */
  followAdmission(read: () => number | undefined): void {
    this.#admission = read;
  }

  /** Records a run's terminal event. */
  runEnded(agentId: string, event: RunEvent): void {
    if (!('output' in event)) return;
    const { status, metrics } = event.output;
    this.runs.inc({ agent: agentId, status });
    this.tokens.inc({ agent: agentId, kind: 'input' }, metrics.inputTokens);
    this.tokens.inc({ agent: agentId, kind: 'output' }, metrics.outputTokens);
    if (metrics.costUsd) this.cost.inc({ agent: agentId }, metrics.costUsd);
    if (metrics.cacheHits) this.cacheHits.inc({ agent: agentId }, metrics.cacheHits);
    if (metrics.timeToFirstTokenMs !== undefined)
      this.timeToFirstToken.observe({ agent: agentId }, metrics.timeToFirstTokenMs / 1000);
    this.runDuration.observe({ agent: agentId, status }, metrics.durationMs / 1000);
  }

  /** Wraps a store so every call is timed. */
  timedStore(store: Store): Store {
    const histogram = this.storeLatency;
    // One wrapper per method, made on first use: stores are called on every
    // batch of events, so a closure per call would be garbage per call.
    const methods = new Map<PropertyKey, unknown>();
    const timed =
      (operation: string, method: (...args: unknown[]) => Promise<unknown>) =>
      async (...args: unknown[]) => {
        const started = performance.now();
        let outcome = 'error';
        try {
          const result = await method.apply(store, args);
          outcome = 'ok';
          return result;
        } finally {
          histogram.observe({ operation, outcome }, (performance.now() - started) / 1000);
        }
      };
    return new Proxy(store, {
      get(target, property, receiver) {
        const known = methods.get(property);
        if (known) return known;
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        const untimed = property === 'close' || property === 'describe';
        const method = untimed ? value.bind(target) : timed(String(property), value);
        methods.set(property, method);
        return method;
      },
    });
  }
}
