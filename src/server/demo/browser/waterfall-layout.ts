/**
 * The stage-timing waterfall as numbers, no DOM: one bar per stage that ran, laid end to end in
 * pipeline order (validation, routing, cache, execution, fusion, outputGuard), then one bar per
 * expert, starting where execution starts, `ms` long, with its `ttft` inside it.
 *
 *     validation |=|
 *     routing      |=|
 *     cache          |==|
 *     execution         |=================|
 *     fusion                               |=|
 *     outputGuard                            |=|
 *     expert a          |..====|                 (.. = waiting for the first token)
 *     expert b          |....==========|
 */
import type { PipelineMetrics, Stage } from '../../../browser';

/** The stages, in the order they run. */
export const STAGE_ORDER: readonly Stage[] = ['validation', 'routing', 'cache', 'execution', 'fusion', 'outputGuard'];

/** One row of the waterfall; times in ms from the request's start. */
export interface WaterfallBar {
  readonly kind: 'stage' | 'expert';
  /** The stage name or the expert id. */
  readonly label: string;
  readonly start: number;
  readonly ms: number;
  /** Experts only: ms from their start to their first token (null: none came). */
  readonly ttft?: number | null;
  /** Experts only: 'ok', 'failed' or 'cancelled'. */
  readonly outcome?: string;
}

/** The bars, the time span the axis covers, and where its ticks go. */
export interface WaterfallLayout {
  readonly bars: readonly WaterfallBar[];
  readonly span: number;
  readonly ticks: readonly number[];
}

/** A 1-2-5 step giving at most `maxTicks` intervals over `span`. */
const tickStep = (span: number, maxTicks: number): number => {
  const rough = span / maxTicks;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough) ?? 10 * power;
};

/** Lays out `metrics` (see the module comment); `maxTicks` bounds the axis ticks (default 6). */
export const waterfallLayout = (metrics: PipelineMetrics, maxTicks = 6): WaterfallLayout => {
  const bars: WaterfallBar[] = [];
  let at = 0;
  let executionStart: number | undefined;
  for (const stage of STAGE_ORDER) {
    const ms = metrics.stages[stage];
    if (ms === undefined) continue;
    if (stage === 'execution') executionStart = at;
    bars.push({ kind: 'stage', label: stage, start: at, ms });
    at += ms;
  }
  const expertStart = executionStart ?? at;
  for (const [id, expert] of Object.entries(metrics.experts)) {
    bars.push({ kind: 'expert', label: id, start: expertStart, ms: expert.ms, ttft: expert.ttft, outcome: expert.outcome });
  }
  const span = Math.max(1, metrics.total, ...bars.map((bar) => bar.start + bar.ms));
  const step = tickStep(span, maxTicks);
  const ticks: number[] = [];
  for (let i = 0; i * step <= span; i++) ticks.push(Number((i * step).toPrecision(12))); // 0.6, not 0.6000000000000001
  return { bars, span, ticks };
};
