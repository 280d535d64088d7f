/** Which stages and experts stand out in a request's metrics (plain functions). */
import type { BottleneckRules, ExpertMetrics, Stage } from '../metrics';

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
      const ms = experts[id].ms;
      if (ms < rules.minMs) continue; // too quick to stand out: no need for the others' median
      const others = ids.filter((other) => other !== id).map((other) => experts[other].ms);
      if (ms >= median(others) * rules.slowExpertFactor) found.push(`expert:${id}`);
    }
  }
  return found;
};
