/**
 * The server's Prometheus metrics, in a `Registry` of its own (never prom-client's global one, so
 * two servers in one process never mix their figures). Fed by `track()`, a `tap` on the events of
 * every request the server runs; the gauges read the plugin when scraped.
 *
 * | metric | type | labels | from |
 * | --- | --- | --- | --- |
 * | `dialogue_requests_total` | counter | `outcome` (complete, error, cancelled), `kind` (errors only) | the terminal event; a client that leaves before it counts as cancelled |
 * | `dialogue_stage_seconds` | histogram | `stage` | `metrics.stages` |
 * | `dialogue_ttft_seconds` | histogram | | `metrics.ttft` (when a token reached the caller) |
 * | `dialogue_cache_hits_total`, `dialogue_cache_misses_total` | counter | | `cache` events |
 * | `dialogue_retries_total` | counter | `expert` | `retry` events |
 * | `dialogue_breaker_state` | gauge | `expert` | `plugin.expertHealth()`: 0 closed, 1 half-open, 2 open |
 * | `dialogue_in_flight` | gauge | | `plugin.active().length` |
 * | `dialogue_ready` | gauge | | 1 when `/readyz` would answer 200, else 0 (probed when scraped: a scrape waits at most the probe's deadline) |
 * | `dialogue_tokens_total` | counter | `model`, `direction` (input, output) | `metrics.experts[id].usage`, by the model the plan names (`token-accounting.ts`) |
 * | `dialogue_cost_usd_total` | counter | `model` | the same usage priced by the server's `pricing` (fed only for priced models) |
 * | `dialogue_tenant_limited_total` | counter | `tenant`, `limit` (concurrent, rate) | requests refused with 429 |
 * | `dialogue_connections_open` | gauge | | open connections |
 * | `dialogue_connections_dropped_total` | counter | `how` (evicted, refused) | connections closed to keep `maxConnections` |
 *
 * The `tenant` label takes only configured tenant names (an unknown key never gets that far), so
 * its values are bounded by the server's keys.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { defer, firstValueFrom, of, tap, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { isTerminal, type PipelineEvent } from '../index';
import type { BreakerState, ExecutionPlan, PipelineMetrics } from '../index';
import type { ServedPlugin } from './route';
import type { ConnectionDrop } from './connections/connection-limit';
import type { LimitName } from './tenancy/tenant-limits';
import { fusionTokens, tokensByModel, type ModelTokens, type TokenAccounting } from './token-accounting';

/** A server's metrics: the registry `/metrics` renders, and the operator that feeds it. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Passes a request's events through unchanged, counting them. Apply it once per request. */
  track(): MonoTypeOperatorFunction<PipelineEvent>;
  /** Counts a request of `tenant` refused by `limit`. */
  limited(tenant: string, limit: LimitName): void;
  /** Counts a connection closed to keep the connection cap. */
  dropped(how: ConnectionDrop): void;
}

/** Histogram buckets in seconds, from 1 ms to 1 minute. */
export const SECONDS_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The `dialogue_breaker_state` value of each breaker state. */
export const BREAKER_VALUES: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** What the server's metrics read when scraped besides the plugin. */
export interface ServerMetricsSources {
  /** The server's readiness check (default: always ready). */
  readonly readiness?: () => Observable<{ readonly ready: boolean }>;
  /** Open connections (default 0). */
  readonly openConnections?: () => number;
  /** How tokens are labelled and priced (default: by expert id, unpriced). */
  readonly accounting?: TokenAccounting;
}

/** What one request's earlier events said, for counting its tokens. */
interface SeenSoFar { plan?: ExecutionPlan; metrics?: PipelineMetrics }

/** Creates the metrics of one server for `plugin`. */
export const createServerMetrics = (
  plugin: Pick<ServedPlugin, 'active' | 'expertHealth'>,
  { readiness = () => of({ ready: true }), openConnections = () => 0, accounting = {} }: ServerMetricsSources = {},
): ServerMetrics => {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'dialogue_requests_total', help: 'Requests by outcome (and error kind).', labelNames: ['outcome', 'kind'] as const, registers });
  const stages = new Histogram({ name: 'dialogue_stage_seconds', help: 'Duration of each pipeline stage.', labelNames: ['stage'] as const, buckets: [...SECONDS_BUCKETS], registers });
  const ttft = new Histogram({ name: 'dialogue_ttft_seconds', help: 'Time to the first token reaching the caller.', buckets: [...SECONDS_BUCKETS], registers });
  const hits = new Counter({ name: 'dialogue_cache_hits_total', help: 'Cache lookups that found an answer.', registers });
  const misses = new Counter({ name: 'dialogue_cache_misses_total', help: 'Cache lookups that found nothing (or failed).', registers });
  const retries = new Counter({ name: 'dialogue_retries_total', help: 'Expert retries.', labelNames: ['expert'] as const, registers });
  new Gauge({
    name: 'dialogue_breaker_state', help: 'Circuit breaker per expert: 0 closed, 1 half-open, 2 open.', labelNames: ['expert'] as const, registers,
    collect() {
      this.reset();
      for (const [expert, state] of Object.entries(plugin.expertHealth())) this.set({ expert }, BREAKER_VALUES[state]);
    },
  });
  new Gauge({ name: 'dialogue_in_flight', help: 'Requests in flight.', registers, collect() { this.set(plugin.active().length); } });
  new Gauge({
    name: 'dialogue_ready', help: 'Readiness: 1 when /readyz answers 200 (not draining, cache answering), else 0.', registers,
    async collect() {
      this.set((await firstValueFrom(readiness())).ready ? 1 : 0);
    },
  });
  const tokens = new Counter({ name: 'dialogue_tokens_total', help: 'LLM tokens by model and direction (input, output).', labelNames: ['model', 'direction'] as const, registers });
  const cost = new Counter({ name: 'dialogue_cost_usd_total', help: 'Estimated LLM cost in US dollars by model.', labelNames: ['model'] as const, registers });
  for (const outcome of ['complete', 'cancelled']) requests.inc({ outcome }, 0);
  const limitedTotal = new Counter({ name: 'dialogue_tenant_limited_total', help: 'Requests refused by a per-tenant limit.', labelNames: ['tenant', 'limit'] as const, registers });
  new Gauge({ name: 'dialogue_connections_open', help: 'Open connections.', registers, collect() { this.set(openConnections()); } });
  const dropped = new Counter({ name: 'dialogue_connections_dropped_total', help: 'Connections closed to keep maxConnections: the oldest idle one evicted, or a new one refused.', labelNames: ['how'] as const, registers });
  for (const how of ['evicted', 'refused']) dropped.inc({ how }, 0);

  const countTokens = ({ model, input, output, costUsd }: ModelTokens): void => {
    tokens.inc({ model, direction: 'input' }, input);
    tokens.inc({ model, direction: 'output' }, output);
    if (costUsd !== undefined) cost.inc({ model }, costUsd);
  };

  /** `seen`: the request's plan (which names each expert's model) and metrics, from its earlier events. */
  const record = (event: PipelineEvent, seen: SeenSoFar): void => {
    switch (event.type) {
      case 'cache':
        (event.hit ? hits : misses).inc();
        return;
      case 'retry':
        retries.inc({ expert: event.source });
        return;
      case 'metrics':
        for (const [stage, ms] of Object.entries(event.metrics.stages)) stages.observe({ stage }, ms / 1000);
        if (event.metrics.ttft !== null) ttft.observe(event.metrics.ttft / 1000);
        for (const figures of tokensByModel(event.metrics, accounting, seen.plan?.tasks)) countTokens(figures);
        return;
      case 'complete': {
        const fusion = event.usage === undefined || seen.metrics === undefined || seen.plan === undefined
          ? undefined : fusionTokens(event.usage, seen.metrics, seen.plan, accounting);
        if (fusion !== undefined) countTokens(fusion);
        requests.inc({ outcome: event.type });
        return;
      }
      case 'cancelled':
        requests.inc({ outcome: event.type });
        return;
      case 'error':
        requests.inc({ outcome: 'error', kind: event.error.kind });
        return;
      default:
    }
  };

  const track = (): MonoTypeOperatorFunction<PipelineEvent> => (source) => defer(() => {
    let ended = false;
    const seen: SeenSoFar = {};
    return source.pipe(tap({
      next: (event) => {
        if (isTerminal(event)) ended = true;
        else if (event.type === 'plan') seen.plan = event.plan;
        else if (event.type === 'metrics') seen.metrics = event.metrics;
        record(event, seen);
      },
      unsubscribe: () => {
        if (!ended) requests.inc({ outcome: 'cancelled' });
      },
    }));
  });

  return {
    registry,
    track,
    limited: (tenant, limit) => limitedTotal.inc({ tenant, limit }),
    dropped: (how) => dropped.inc({ how }),
  };
};
