/**
 * `fuse(deps, scheduler)`: on the `answers` hand-off, fuses the experts' answers with the plan's
 * strategy and emits the fusion `timing` and the `answer` hand-off. Generating strategies stream
 * `fusion` tokens; selecting ones (best, first) add none, since the chosen expert's tokens were
 * already streamed.
 * - one or more experts failed: fuse the rest, `degraded`.
 * - the strategy fails (throws, errors, produces no text, or runs longer than `timeoutMs`): the
 *   best-scored expert's answer, `degraded`, and a `status` saying so; the error goes to
 *   `reportSystemError`.
 * - every expert failed: an `error` event (kind `system`).
 * Other events pass through.
 *
 *     source:  n----|       n = answers, sections fusion emitting 2 chunks
 *     result:  -f-f(ta|)    f = fusion tokens, t = timing, a = answer
 */
import { asyncScheduler, timer, type Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AnswersEvent, ChainEvent } from '../chain-events';
import { addUsage } from '../conversation';
import { FusionError } from '../errors';
import type { AnswerScorer, SystemErrorReporter } from '../ports';
import { pickBest } from '../strategies/agreement-scorer';
import { systemErrorEvent } from '../strategies/error-events';
import { staged, type StageContext, type StageObserver } from './staged';

/** Any non-whitespace character: an answer of only whitespace is empty (no copy, unlike `trim()`). */
const HAS_TEXT = /\S/;

/** What fusion needs. */
export interface FuseDeps {
  /** A fusion running longer than this fails (and falls back). Default: no limit. */
  readonly timeoutMs?: number;
  /** Scores the fallback's candidates. Default: agreement with the others. */
  readonly scorer?: AnswerScorer;
  readonly reportSystemError?: SystemErrorReporter;
}

/** Fuses the answers on `answers`. */
export const fuse = (deps: FuseDeps = {}, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> =>
  staged((context) => (event) => {
    if (event.type === 'answers') fuseAnswers(event, context, deps, scheduler);
    else context.next(event);
  }, { ignoresTokens: true });

const fuseAnswers = (event: AnswersEvent, stage: StageContext, deps: FuseDeps, scheduler: SchedulerLike): void => {
  const { next } = stage;
  const { requestId, answers, failures, route, request, cacheKey } = event;
  let usage = event.usage;
  const report = deps.reportSystemError ?? (() => undefined);
  const plan = route.plan;
  const context = { requestId, stage: 'fusion', plan };
  if (answers.length === 0) {
    next(systemErrorEvent('system', new AggregateError(failures, `All ${failures.length} experts failed`), { ...context, stage: 'execution' }, report));
    return;
  }
  const strategy = route.fusion;
  const streams = strategy.mode !== 'select';
  const degraded = failures.length > 0;
  const keyed = cacheKey === undefined ? {} : { cacheKey };
  const at = scheduler.now();
  const timing = (): void => next({ type: 'timing', requestId, stage: 'fusion', at, ms: scheduler.now() - at });
  const fallBack = (error: unknown): void => {
    timing();
    report(FusionError.isInstance(error) ? error : new FusionError(strategy.id, 'Fusion failed', { cause: error }), context);
    const best = pickBest(answers, deps.scorer);
    next({ type: 'status', requestId, message: `Fusion "${strategy.id}" failed; using ${best.expertId}'s answer` });
    next({ type: 'answer', requestId, text: best.text, fromCache: false, degraded: true, ...keyed, planId: plan.id, usage });
  };
  let fused$: Observable<string>;
  try {
    fused$ = strategy.fuse(answers, {
      prompt: request.prompt, messages: request.messages, ...(request.params === undefined ? {} : { params: request.params }),
      plan, scheduler, requestId, reportUsage: (spent) => { usage = addUsage(usage, spent); },
    });
  } catch (error) {
    fallBack(error);
    return;
  }
  const parts: string[] = [];
  let settled = false;
  let deadline: Subscription | undefined;
  const fusing: StageObserver<string> = {
    next: (chunk) => {
      parts.push(chunk);
      if (streams) stage.token({ type: 'token', requestId, source: 'fusion', text: chunk });
    },
    error: (error) => {
      settled = true;
      deadline?.unsubscribe();
      fallBack(error);
    },
    complete: () => {
      settled = true;
      deadline?.unsubscribe();
      const text = parts.join('');
      if (!HAS_TEXT.test(text)) {
        fallBack(new FusionError(strategy.id, 'Fusion produced no text'));
        return;
      }
      timing();
      next({ type: 'answer', requestId, text, fromCache: false, degraded, ...keyed, planId: plan.id, usage });
    },
  };
  const fusion = stage.run(fused$, fusing);
  // The deadline is armed only for a fusion still running once subscribed (not for `best` or `first`, which
  // settle at once): no timer per request for them. Same frame as arming it first, in virtual time too.
  const { timeoutMs } = deps;
  if (!settled && timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
    deadline = stage.run(timer(timeoutMs, scheduler), {
      next: () => {
        if (settled) return;
        settled = true;
        fallBack(new FusionError(strategy.id, `Fusion took longer than ${timeoutMs}ms`));
        fusion.unsubscribe();
      },
    });
  }
  // Still fusing (e.g. an aggregator asking a model): say so, so a cancel meanwhile still counts the fusion time.
  if (!settled) next({ type: 'timing', requestId, stage: 'fusion', at });
};
