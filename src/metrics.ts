/**
 * The `metrics` event's figures (per request). All times come from the injected clock, in ms,
 * so virtual-time tests assert exact figures.
 */
import type { Usage } from './conversation';
import type { ExpertOutcome } from './events';

/** The timed stages of the pipeline. */
export type Stage = 'validation' | 'routing' | 'cache' | 'execution' | 'fusion' | 'outputGuard';

/**
 * One expert's figures. `ttft`: from the start of execution to the expert's own first token
 * (before the guard; the request's `ttft` is the first token reaching the caller); `tokens`: the
 * expert's count of its last attempt (so far, when cancelled); `attempts`: 1 + its retries.
 */
export interface ExpertMetrics {
  readonly ttft: number | null;
  readonly ms: number;
  readonly tokens: number;
  readonly attempts: number;
  readonly outcome: ExpertOutcome;
  /** What its attempts cost (absent while nothing is known, e.g. cancelled before any attempt ended). */
  readonly usage?: Usage;
}

/** What the `metrics` event carries. */
export interface PipelineMetrics {
  /** From `start` to the terminal event. */
  readonly total: number;
  /** Duration of each stage that ran. */
  readonly stages: Readonly<Partial<Record<Stage, number>>>;
  /** From `start` to the first token reaching the caller; null when none did. */
  readonly ttft: number | null;
  readonly experts: Readonly<Record<string, ExpertMetrics>>;
  readonly cacheHit: boolean;
  /** Present when the cache lookup failed and counted as a miss. */
  readonly cacheFault?: CacheFault;
  readonly degraded: boolean;
  /** Stages over their share of the total or their budget (`'cache'`), experts much slower than the rest (`'expert:<id>'`). */
  readonly bottlenecks: readonly string[];
  /** Present with the plugin's `pricing` option: what the experts' tokens cost, in the pricing's currency. */
  readonly cost?: number;
}

/** What a model's tokens cost, per million, in any one currency. */
export interface ModelPrice { readonly inputPerMillion: number; readonly outputPerMillion: number }

/** Prices by model name (an expert's `model`); experts whose model is missing cost nothing. */
export type Pricing = Readonly<Record<string, ModelPrice>>;

/** Why a cache lookup counted as a miss although something was (maybe) stored: the store failed, was too slow, or held a malformed record. */
export type CacheFault = 'error' | 'timeout' | 'corrupt';

/** When a stage or an expert counts as a bottleneck. */
export interface BottleneckRules {
  /** A stage taking at least this share of the total (and at least `minMs`) is named. Default 0.5. */
  readonly shareOfTotal: number;
  /** Stages shorter than this are never named. Default 1 ms. */
  readonly minMs: number;
  /** Per-stage budgets in ms; a stage over its budget is named. */
  readonly budgets: Readonly<Partial<Record<Stage, number>>>;
  /** An expert taking at least this many times the median of the others is named. Default 2. */
  readonly slowExpertFactor: number;
}
