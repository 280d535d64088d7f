/**
 * `storeAnswer(deps)`: on the `guarded` hand-off, emits the `complete` event and, for a clean
 * answer (not from the cache, not degraded), writes it to the cache, detached from the request
 * so an unsubscribe right after `complete` does not abort the write. A failed write goes to
 * `onSystemError` and is otherwise ignored; a write slower than 10 x `timeouts.cacheMs` is
 * abandoned. Other events pass through.
 *
 *     source:  g|        g = guarded
 *     result:  (c|)      c = complete; cache.set subscribed alongside
 */
import { defer, throwError, timeout, type OperatorFunction } from 'rxjs';
import { CacheError } from '../errors';
import type { PipelineDeps } from '../pipeline/deps';
import type { StageEvent } from '../pipeline/stage-events';
import { handle } from './handle';

/** A write may take this many times `timeouts.cacheMs` before it is abandoned (so `close()` never hangs). */
export const WRITE_TIMEOUT_FACTOR = 10;

/** What storing needs. */
export type StoreAnswerDeps = Pick<PipelineDeps, 'cache' | 'writer' | 'clock' | 'scheduler' | 'timeouts' | 'reportSystemError'>;

/** Turns the guarded answer into `complete`, caching it when it is clean. */
export const storeAnswer = ({ cache, writer, clock, scheduler, timeouts, reportSystemError }: StoreAnswerDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('guarded', ({ job }, emit) => {
    const writeTimeoutMs = timeouts.cacheMs * WRITE_TIMEOUT_FACTOR;
    const result = job.result;
    if (result === undefined) throw new Error('guarded hand-off without a result');
    job.metrics.degraded = result.degraded;
    const key = job.cacheKey;
    const plan = job.route?.plan;
    if (cache !== undefined && key !== undefined && plan !== undefined && !result.fromCache && !result.degraded) {
      const { requestId } = job;
      const createdAt = clock.now();
      // defer: a store whose set() throws on call is a failed write too, not a failed request.
      const write$ = defer(() => cache.set(key, { text: result.text, createdAt, planId: plan.id })).pipe(timeout({
        first: writeTimeoutMs,
        scheduler,
        with: () => throwError(() => new CacheError('set', `cache write took longer than ${writeTimeoutMs}ms`)),
      }));
      writer.run(key, write$, (error) => reportSystemError(error, { requestId, stage: 'cache-write', plan }));
    }
    emit({ type: 'complete', requestId: job.requestId, text: result.text, fromCache: result.fromCache, degraded: result.degraded });
  });
