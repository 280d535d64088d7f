/**
 * Per-request metrics (DESIGN section 7). All times come from the injected clock, in ms, so
 * virtual-time tests assert exact figures.
 */
import type { ExpertOutcome } from '../events';

/** The timed stages of the pipeline. */
export type Stage = 'validation' | 'routing' | 'cache' | 'execution' | 'fusion' | 'outputGuard';

/** One expert's figures. `ttft` is from the expert's first attempt to its first token. */
export interface ExpertMetrics {
  readonly ttft: number | null;
  readonly ms: number;
  readonly tokens: number;
  readonly attempts: number;
  readonly outcome: ExpertOutcome;
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
}

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

/** Defaults for {@link BottleneckRules}. `cache` budget comes from `timeouts.cacheMs`. */
export const defaultBottleneckRules = (cacheMs: number): BottleneckRules => ({
  shareOfTotal: 0.5,
  minMs: 1,
  budgets: { validation: 5, routing: 50, cache: cacheMs, outputGuard: 20 },
  slowExpertFactor: 2,
});

const STAGE_ORDER: readonly Stage[] = ['validation', 'routing', 'cache', 'execution', 'fusion', 'outputGuard'];

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Names the stages and experts that stand out, by the given rules. */
export const findBottlenecks = (
  total: number,
  stages: Partial<Record<Stage, number>>,
  experts: Readonly<Record<string, ExpertMetrics>>,
  rules: BottleneckRules,
): string[] => {
  const found: string[] = [];
  for (const stage of STAGE_ORDER) {
    const ms = stages[stage];
    if (ms === undefined || ms < rules.minMs) continue;
    const budget = rules.budgets[stage];
    if (ms >= total * rules.shareOfTotal || (budget !== undefined && ms > budget)) found.push(stage);
  }
  const ids = Object.keys(experts);
  if (ids.length > 1) {
    for (const id of ids) {
      const others = ids.filter((other) => other !== id).map((other) => experts[other].ms);
      const ms = experts[id].ms;
      if (ms >= rules.minMs && ms >= median(others) * rules.slowExpertFactor) found.push(`expert:${id}`);
    }
  }
  return found;
};
