/**
 * How the server counts a request's tokens and their cost for `/metrics`: from the `metrics`
 * event's per-expert `usage`, labelled by the expert's model as the request's plan names it (its
 * `plan` event's tasks). The `expertModels` option overrides that label per expert id (an expert
 * in neither is labelled with its id); the server's own `pricing` (US dollars per million tokens,
 * by that model name) gives the cost (a model it does not list costs nothing). A generating
 * fusion's own call is counted too, as `fusion:<id>` (`fusionTokens`).
 */
import type { ExecutionPlan, PipelineMetrics, PlanTask, Pricing, Usage } from '../index';

/** The options that label and price tokens. */
export interface TokenAccounting {
  /** Expert id -> model name for the `model` label, over the plan's model. Default: none (the plan's model). */
  readonly expertModels?: Readonly<Record<string, string>>;
  /** US dollars per million input and output tokens, by model name. Default: none (no cost counted). */
  readonly pricing?: Pricing;
}

/** One model's share of one request. */
export interface ModelTokens { readonly model: string; readonly input: number; readonly output: number; readonly costUsd?: number }

/**
 * The per-model token counts (and cost, when priced) of one request's metrics, summed over its
 * experts; `tasks`: the request's plan tasks, which name each expert's model.
 */
export const tokensByModel = (
  metrics: PipelineMetrics, { expertModels = {}, pricing }: TokenAccounting, tasks: readonly PlanTask[] = [],
): ModelTokens[] => {
  const byModel = new Map<string, { input: number; output: number }>();
  for (const [id, figures] of Object.entries(metrics.experts)) {
    if (figures.usage === undefined) continue;
    const model = Object.prototype.hasOwnProperty.call(expertModels, id) ? expertModels[id]! : tasks.find((task) => task.expertId === id)?.model ?? id;
    const sum = byModel.get(model) ?? { input: 0, output: 0 };
    byModel.set(model, { input: sum.input + figures.usage.inputTokens, output: sum.output + figures.usage.outputTokens });
  }
  return [...byModel].map(([model, { input, output }]) => {
    const price = pricing !== undefined && Object.prototype.hasOwnProperty.call(pricing, model) ? pricing[model] : undefined;
    return price === undefined ? { model, input, output } : { model, input, output, costUsd: (input * price.inputPerMillion + output * price.outputPerMillion) / 1e6 };
  });
};

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The problems with the accounting options (empty when none). */
export const tokenAccountingProblems = ({ expertModels, pricing }: TokenAccounting): string[] => {
  const problems: string[] = [];
  if (expertModels !== undefined && !(typeof expertModels === 'object' && expertModels !== null
    && Object.values(expertModels).every((m) => typeof m === 'string' && m !== ''))) {
    problems.push('expertModels must map expert ids to non-empty model names');
  }
  if (pricing !== undefined && !(typeof pricing === 'object' && pricing !== null
    && Object.values(pricing).every((p) => typeof p === 'object' && p !== null && isCount(p.inputPerMillion) && isCount(p.outputPerMillion)))) {
    problems.push('pricing must map model names to { inputPerMillion, outputPerMillion } numbers >= 0');
  }
  return problems;
};

/**
 * A generating fusion's own model call (the aggregator's): what `complete.usage` counts beyond the
 * experts' usage in the request's metrics, labelled `fusion:<fusion id>` (priced when `pricing`
 * lists that label); undefined when the fusion spent nothing.
 */
export const fusionTokens = (
  total: Usage, metrics: PipelineMetrics, plan: ExecutionPlan, { pricing }: TokenAccounting,
): ModelTokens | undefined => {
  let input = total.inputTokens;
  let output = total.outputTokens;
  for (const figures of Object.values(metrics.experts)) {
    input -= figures.usage?.inputTokens ?? 0;
    output -= figures.usage?.outputTokens ?? 0;
  }
  if (input <= 0 && output <= 0) return undefined;
  const model = `fusion:${plan.fusion.id}`;
  const counts = { model, input: Math.max(0, input), output: Math.max(0, output) };
  const price = pricing !== undefined && Object.prototype.hasOwnProperty.call(pricing, model) ? pricing[model] : undefined;
  return price === undefined ? counts : { ...counts, costUsd: (counts.input * price.inputPerMillion + counts.output * price.outputPerMillion) / 1e6 };
};
