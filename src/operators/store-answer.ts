/**
 * `storeAnswer(deps, scheduler)`: on the `guarded` hand-off, emits the `complete` event and,
 * for a clean answer (not from the cache, not degraded, with a key), writes it to the cache,
 * detached from the request (through `writer`) so an unsubscribe right after `complete` does
 * not abort the write. A failed write goes to `reportSystemError` and is otherwise ignored.
 * Other events pass through.
 *
 *     source:  g|        g = guarded
 *     result:  (c|)      c = complete; cache.set subscribed alongside
 */
import { asyncScheduler, defer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import type { CacheWriter, ResponseCache, SystemErrorReporter } from '../ports';
import { staged } from './staged';

/** What storing needs. */
export interface StoreAnswerDeps {
  /** Absent: nothing is stored. */
  readonly cache?: ResponseCache;
  /** Runs the write detached (ordered per key, bounded); absent: the write is subscribed on its own. */
  readonly writer?: CacheWriter;
  readonly reportSystemError?: SystemErrorReporter;
}

/** Turns the guarded answer into `complete`, caching it when it is clean; `scheduler.now()` stamps `createdAt`. */
export const storeAnswer = ({ cache, writer, reportSystemError }: StoreAnswerDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> =>
  staged(({ next }) => (event) => {
    if (event.type !== 'guarded') {
      next(event);
      return;
    }
    const { requestId, text, fromCache, degraded, cacheKey: key, planId, usage } = event;
    if (cache !== undefined && key !== undefined && !fromCache && !degraded) {
      const record = { text, createdAt: scheduler.now(), planId };
      // defer: a store whose set() throws on call is a failed write too, not a failed request.
      const write$ = defer(() => cache.set(key, record));
      const onError = (error: unknown): void => reportSystemError?.(error, { requestId, stage: 'cache-write' });
      if (writer === undefined) write$.subscribe({ error: onError });
      else writer.run(key, write$, onError);
    }
    next(usage === undefined ? { type: 'complete', requestId, text, fromCache, degraded } : { type: 'complete', requestId, text, fromCache, degraded, usage });
  }, { ignoresTokens: true });
