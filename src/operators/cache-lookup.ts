/**
 * `cacheLookup(deps)`: on the `planned` hand-off, computes the plan-aware key and looks it up.
 * - hit: `cache` (hit), the answer as one `cache` token, and the `answer` hand-off: fan-out and
 *   fusion never run.
 * - miss: `cache` (miss) and the `execute` hand-off.
 * - caching off: just `execute` (no `cache` event); the key is still computed, for single flight.
 * A store that errors, is slower than `timeouts.cacheMs`, or returns a malformed record counts
 * as a miss (reported to `onSystemError`); a malformed or unparsable record (CacheError
 * 'decode') is deleted when the store can.
 * Other events pass through.
 *
 *     source:  P|         hit:  --(cta|)     miss:  --(cx|)     (2 ms lookup)
 */
import * as E from 'fp-ts/Either';
import { EMPTY, catchError, concat, defaultIfEmpty, defer, ignoreElements, take, tap, throwError, timeout, type OperatorFunction } from 'rxjs';
import { CacheError } from '../errors';
import type { CacheEvent, TokenEvent } from '../events';
import { decodeCachedAnswer } from '../pipeline/cached-answer';
import { cacheKey } from '../pipeline/cache-key';
import type { PipelineDeps } from '../pipeline/deps';
import type { Job } from '../pipeline/job';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import type { CachedAnswer } from '../ports';
import { handle } from './handle';
import { timed } from './timed';

/** What the lookup needs. */
export type CacheLookupDeps = Pick<PipelineDeps, 'cache' | 'guard' | 'clock' | 'scheduler' | 'timeouts' | 'writer' | 'reportSystemError'>;

const hitEvents = (job: Job, key: string, answer: CachedAnswer): StageEvent[] => {
  job.metrics.cacheHit = true;
  job.result = { text: answer.text, fromCache: true, degraded: false };
  const hit: CacheEvent = { type: 'cache', requestId: job.requestId, hit: true, key };
  const token: TokenEvent = { type: 'token', requestId: job.requestId, source: 'cache', text: answer.text };
  return [hit, token, handoff('answer', job)];
};

const missEvents = (job: Job, key: string): StageEvent[] =>
  [{ type: 'cache', requestId: job.requestId, hit: false, key }, handoff('execute', job)];

/** Looks the answer up on `planned`. */
export const cacheLookup = (deps: CacheLookupDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('planned', ({ job }, emit) => {
    const { cache } = deps;
    const route = job.route;
    if (route === undefined || job.request === undefined) {
      emit(handoff('execute', job));
      return;
    }
    const request = job.request;
    if (cache === undefined) {
      // No lookup, but single flight still keys identical requests by it.
      job.cacheKey = cacheKey(request, route.keyPlan, { fusion: route.fusion.version, guard: deps.guard.version });
      emit(handoff('execute', job));
      return;
    }
    const context = { requestId: job.requestId, stage: 'cache', plan: route.plan };
    let outcome: StageEvent[] = [];
    const lookup$ = defer(() => {
      const key = cacheKey(request, route.keyPlan, { fusion: route.fusion.version, guard: deps.guard.version });
      job.cacheKey = key;
      outcome = missEvents(job, key);
      return defer(() => cache.get(key)).pipe(
        take(1),
        defaultIfEmpty(undefined),
        timeout({
          first: deps.timeouts.cacheMs,
          scheduler: deps.scheduler,
          with: () => {
            job.metrics.cacheFault = 'timeout';
            return throwError(() => new CacheError('get', `cache lookup took longer than ${deps.timeouts.cacheMs}ms`));
          },
        }),
        tap((stored) => {
          if (stored === undefined || stored === null) return;
          const decoded = decodeCachedAnswer(stored);
          if (E.isRight(decoded)) {
            outcome = hitEvents(job, key, decoded.right);
            return;
          }
          throw new CacheError('decode', `malformed cache record: ${decoded.left.join('; ')}`);
        }),
        catchError((error: unknown) => {
          const failure = CacheError.isInstance(error) ? error : new CacheError('get', 'cache lookup failed', { cause: error });
          deps.reportSystemError(failure, context);
          job.metrics.cacheFault ??= failure.operation === 'decode' ? 'corrupt' : 'error';
          if (failure.operation === 'decode' && cache.delete !== undefined) {
            // defer: a delete() that throws on call is a failed delete, not a failed request.
            deps.writer.run(key, defer(() => cache.delete?.(key) ?? EMPTY), (deleteError) => deps.reportSystemError(deleteError, context));
          }
          return EMPTY;
        }),
      );
    });
    return concat(
      lookup$.pipe(timed('cache', { clock: deps.clock, record: job.metrics.stage }), ignoreElements()),
      defer(() => outcome),
    );
  });
