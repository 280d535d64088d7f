/**
 * `storeAnswer(deps)`: on the `guarded` hand-off, emits the `complete` event and, for a clean
 * answer (not from the cache, not degraded), writes it to the cache, detached from the request
 * so an unsubscribe right after `complete` does not abort the write. A failed write goes to
 * `onSystemError` and is otherwise ignored; the writer abandons a write slower than its
 * deadline (10 x `timeouts.cacheMs` in the plugin). Other events pass through.
 *
 *     source:  g|        g = guarded
 *     result:  (c|)      c = complete; cache.set subscribed alongside
 */
import { defer, type OperatorFunction } from 'rxjs';
import type { PipelineDeps } from '../pipeline/deps';
import type { StageEvent } from '../pipeline/stage-events';
import { handle } from './handle';

/** What storing needs. */
export type StoreAnswerDeps = Pick<PipelineDeps, 'cache' | 'writer' | 'clock' | 'reportSystemError'>;

/** Turns the guarded answer into `complete`, caching it when it is clean. */
export const storeAnswer = ({ cache, writer, clock, reportSystemError }: StoreAnswerDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('guarded', ({ job }, emit) => {
    const result = job.result;
    if (result === undefined) throw new Error('guarded hand-off without a result');
    job.metrics.degraded = result.degraded;
    const key = job.cacheKey;
    const plan = job.route?.plan;
    if (cache !== undefined && key !== undefined && plan !== undefined && !result.fromCache && !result.degraded) {
      const { requestId } = job;
      const createdAt = clock.now();
      // defer: a store whose set() throws on call is a failed write too, not a failed request.
      const write$ = defer(() => cache.set(key, { text: result.text, createdAt, planId: plan.id }));
      writer.run(key, write$, (error) => reportSystemError(error, { requestId, stage: 'cache-write', plan }));
    }
    emit({ type: 'complete', requestId: job.requestId, text: result.text, fromCache: result.fromCache, degraded: result.degraded });
  });
