/**
 * Runs cache writes (and deletes of corrupt records) detached from the request, so a caller
 * who unsubscribes right after `complete` does not abort the write, and `close()` can wait for
 * them. At most `maxPending` writes are in flight; beyond that a write is dropped and reported.
 */
import { finalize, type Observable, type Subscription } from 'rxjs';
import { CacheError } from '../errors';

/** Tracks detached cache writes. */
export interface CacheWriter {
  /** Starts `write$` detached; `onError` gets a failure (never thrown). */
  run(write$: Observable<unknown>, onError: (error: unknown) => void): void;
  /** How many writes are in flight. */
  pending(): number;
  /** Resolves when no write is in flight. */
  drain(): Promise<void>;
}

/** A writer with a bound on writes in flight. */
export const createCacheWriter = (maxPending = 1000): CacheWriter => {
  const inFlight = new Set<Subscription>();
  let waiters: (() => void)[] = [];
  const settleWaiters = (): void => {
    if (inFlight.size > 0) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  };
  return {
    run(write$, onError) {
      if (inFlight.size >= maxPending) {
        onError(new CacheError('set', `more than ${maxPending} cache writes in flight; write dropped`));
        return;
      }
      let sub: Subscription | undefined;
      let finished = false;
      sub = write$.pipe(finalize(() => {
        finished = true;
        if (sub !== undefined) inFlight.delete(sub);
        settleWaiters();
      })).subscribe({ error: onError });
      if (!finished) inFlight.add(sub);
    },
    pending: () => inFlight.size,
    drain: () => new Promise<void>((resolve) => {
      waiters.push(resolve);
      settleWaiters();
    }),
  };
};
