/**
 * The `aggregator` fusion (Mixture-of-Agents style): one more model reads every expert's
 * answer and writes the final one, streamed as `fusion` tokens.
 */
import { createHash } from 'node:crypto';
import { asyncScheduler, tap, catchError, defer, throwError, timeout, type SchedulerLike } from 'rxjs';
import { estimateTokens, type Usage } from '../conversation';
import { FusionError } from '../errors';
import { hashTaskParams } from './cache-key';
import type { Expert, ExpertAnswer, FusionStrategy } from '../ports';

/** The default aggregation prompt; `{prompt}` and `{candidates}` are filled in. */
export const DEFAULT_AGGREGATOR_TEMPLATE = [
  'You are given several candidate answers to the same request, written by different models.',
  'Some of them may be incomplete, biased or wrong. Evaluate them critically and write one answer',
  'that keeps what is correct and useful, fixes the mistakes, and is clear and well structured.',
  'Do not mention the candidates or that you combined them.',
  '',
  'Request:',
  '{prompt}',
  '',
  '{candidates}',
  '',
  'Your answer:',
].join('\n');

/** Options of {@link aggregator}. */
export interface AggregatorOptions {
  /** The aggregation prompt, with `{prompt}` and `{candidates}` placeholders (default {@link DEFAULT_AGGREGATOR_TEMPLATE}). */
  readonly template?: string;
  /** Your version of the strategy (default '1'); bump it when anything outside template and model changes. */
  readonly version?: string;
  /** Deadline for the aggregator's first token and between tokens, in ms (default 30 000; Infinity: none). */
  readonly timeoutMs?: number;
  /** Runs the deadline (default: the pipeline's scheduler from the fusion context). */
  readonly scheduler?: SchedulerLike;
}

const PLACEHOLDER = /\{(prompt|candidates)\}/g;

/** The candidates, numbered in plan order: "Candidate 1 (expertId):\n<text>", separated by blank lines. */
const candidatesOf = (answers: readonly ExpertAnswer[]): string =>
  answers.map((answer, i) => `Candidate ${i + 1} (${answer.expertId}):\n${answer.text.trim()}`).join('\n\n');

/** One pass, so a `{prompt}` inside the user's prompt or an answer is never substituted. */
const fill = (template: string, prompt: string, answers: readonly ExpertAnswer[]): string => {
  const values = { prompt: prompt.trim(), candidates: candidatesOf(answers) };
  return template.replace(PLACEHOLDER, (_, name: 'prompt' | 'candidates') => values[name]);
};

const check = (expert: Expert, template: string, version: string, timeoutMs: number): void => {
  const problems: string[] = [];
  if (typeof expert?.id !== 'string' || typeof expert.stream !== 'function') problems.push('expert must be an Expert');
  if (typeof template !== 'string' || !template.includes('{prompt}') || !template.includes('{candidates}')) {
    problems.push('template must be a string with {prompt} and {candidates} placeholders');
  }
  if (typeof version !== 'string' || version.trim() === '') problems.push('version must be a non-empty string');
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) problems.push('timeoutMs must be a number > 0 (or Infinity)');
  if (problems.length > 0) throw new TypeError(`aggregator: ${problems.join('; ')}`);
};

/**
 * A generating fusion that asks `expert` to synthesize the candidates: `id` 'aggregator:<expert
 * id>', mode 'generate', order-sensitive (candidates are numbered in plan order). Its `version`
 * is a short hash of the template, the expert's id, model, version, params and prompt template,
 * and `options.version`, so changing any of them changes the cache key.
 *
 * `fuse` streams the expert's tokens for one attempt (`requestId` = the plan id), no retries.
 * No candidates, an expert error, or a missed deadline error with a FusionError; the pipeline's
 * `fuse` operator then falls back to the best-scored expert's answer with `degraded: true`
 * (and a `status` event), as it does when the expert completes with no text. Throws a
 * TypeError at construction on bad options.
 */
export const aggregator = (expert: Expert, options: AggregatorOptions = {}): FusionStrategy => {
  const { template = DEFAULT_AGGREGATOR_TEMPLATE, version: own = '1', timeoutMs = 30_000 } = options;
  check(expert, template, own, timeoutMs);
  const id = `aggregator:${expert.id}`;
  const version = createHash('sha256')
    .update(JSON.stringify([template, expert.id, expert.model, expert.version, hashTaskParams(expert.params, expert.promptTemplate), own]))
    .digest('hex').slice(0, 12);
  const failed = (cause: unknown): FusionError =>
    FusionError.isInstance(cause) ? cause : new FusionError(id, 'aggregator fusion: the aggregator expert failed', { cause });
  return {
    id,
    version,
    orderSensitive: true,
    mode: 'generate',
    fuse: (answers, context) => {
      const tokens$ = defer(() => {
        if (answers.length === 0) throw new FusionError(id, 'aggregator fusion: no candidates to aggregate');
        const prompt = fill(template, context.prompt, answers);
        let reported: Usage | undefined;
        const input = estimateTokens(prompt.length);
        let output = 0;
        // Reported before the end reaches the fusion (finalize would run after the answer was handed on).
        const spend = (): void => context.reportUsage?.(reported ?? { inputTokens: input, outputTokens: estimateTokens(output), estimated: true });
        return expert.stream({
          requestId: context.requestId ?? context.plan.id, prompt, messages: [{ role: 'user', content: prompt }], attempt: 1,
          ...(context.params === undefined ? {} : { params: context.params }),
          reportUsage: (usage) => { reported = { ...usage, estimated: false }; },
        }).pipe(tap({ next: (token) => { output += token.length; }, complete: spend, error: spend, unsubscribe: spend }));
      });
      const scheduler = options.scheduler ?? context.scheduler ?? asyncScheduler;
      const timed$ = Number.isFinite(timeoutMs)
        ? tokens$.pipe(timeout({ each: timeoutMs, scheduler, with: () => throwError(() => new FusionError(id, `aggregator fusion: no token for ${timeoutMs} ms`)) }))
        : tokens$;
      return timed$.pipe(catchError((error: unknown) => throwError(() => failed(error))));
    },
  };
};
