/**
 * `fuse(deps)`: on the `answers` hand-off, fuses the experts' answers with the plan's strategy
 * and emits the `answer` hand-off. Generating strategies stream `fusion` tokens; selecting ones
 * (best, first) add none, since the chosen expert's tokens were already streamed.
 * - one or more experts failed: fuse the rest, `degraded`.
 * - the strategy fails (error, empty text, or longer than `timeouts.totalMs`): the best-scored expert's answer, `degraded`, and a
 *   `status` saying so; the error goes to `onSystemError`.
 * - every expert failed: an `error` event (kind `system`).
 * Other events pass through.
 *
 *     source:  n----|       n = answers, sections fusion emitting 2 chunks
 *     result:  -f-f(a|)     f = fusion tokens, a = answer
 */
import { catchError, concat, defer, filter, map, of, type OperatorFunction, takeUntil, timer, mergeMap, throwError, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { FusionError } from '../errors';
import type { StatusEvent, TokenEvent } from '../events';
import type { PipelineDeps } from '../pipeline/deps';
import { systemErrorEvent } from '../pipeline/error-events';
import type { Job } from '../pipeline/job';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import type { ExpertAnswer } from '../ports';
import { pickBest } from '../strategies/agreement-scorer';
import { handle } from './handle';
import { timed } from './timed';

/** What fusion needs. */
export type FuseDeps = Pick<PipelineDeps, 'clock' | 'scheduler' | 'reportSystemError'> & Partial<Pick<PipelineDeps, 'timeouts'>>;

const isAnswer = (answer: ExpertAnswer | undefined): answer is ExpertAnswer => answer !== undefined;

/** Fuses the answers on `answers`. */
export const fuse = (deps: FuseDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('answers', ({ job }, emit) => {
    const answers = job.answers.filter(isAnswer);
    const route = job.route;
    if (answers.length === 0 || route === undefined) {
      const error = new AggregateError(job.expertErrors, `All ${job.expertErrors.length} experts failed`);
      emit(systemErrorEvent('system', error, { requestId: job.requestId, stage: 'execution', plan: route?.plan }, deps.reportSystemError));
      return;
    }
    const strategy = route.fusion;
    const streams = strategy.mode !== 'select';
    const degraded = job.expertErrors.length > 0;
    let text = '';
    const fused$ = defer(() => strategy.fuse(answers, { prompt: job.request?.prompt ?? '', plan: route.plan, scheduler: deps.scheduler, requestId: job.requestId })).pipe(
      map((chunk): TokenEvent => {
        text += chunk;
        return { type: 'token', requestId: job.requestId, source: 'fusion', text: chunk };
      }),
      filter(() => streams),
      withDeadline(deps.timeouts?.totalMs, deps.scheduler, strategy.id),
      timed('fusion', { clock: deps.clock, record: job.metrics.stage }),
    );
    const settled$ = defer(() => {
      if (text.trim().length === 0) throw new FusionError(strategy.id, 'Fusion produced no text');
      job.result = { text, fromCache: false, degraded };
      return of(handoff('answer', job));
    });
    return concat(fused$, settled$).pipe(
      catchError((error: unknown) => fallBack(job, answers, strategy.id, error, deps)),
    );
  });

/** Fails a fusion that runs longer than `ms` (the experts' `timeouts.totalMs`), so a stuck strategy falls back instead of hanging. */
const withDeadline = (ms: number | undefined, scheduler: SchedulerLike, strategyId: string): MonoTypeOperatorFunction<TokenEvent> =>
  (source) => (ms === undefined || !Number.isFinite(ms) ? source : source.pipe(
    takeUntil(timer(ms, scheduler).pipe(mergeMap(() => throwError(() => new FusionError(strategyId, `Fusion took longer than ${ms}ms`))))),
  ));

const fallBack = (job: Job, answers: readonly ExpertAnswer[], strategyId: string, error: unknown, deps: FuseDeps) => {
  const cause = FusionError.isInstance(error) ? error : new FusionError(strategyId, 'Fusion failed', { cause: error });
  deps.reportSystemError(cause, { requestId: job.requestId, stage: 'fusion', plan: job.route?.plan });
  const best = pickBest(answers);
  job.result = { text: best.text, fromCache: false, degraded: true };
  const status: StatusEvent = {
    type: 'status', requestId: job.requestId, message: `Fusion "${strategyId}" failed; using ${best.expertId}'s answer`,
  };
  return of<StageEvent[]>(status, handoff('answer', job));
};
