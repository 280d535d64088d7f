/**
 * Runs cache writes (and deletes of corrupt records) detached from the request, so a caller
 * who unsubscribes right after `complete` does not abort the write, and `close()` can wait for
 * them. Operations on one key run one after another, in the order they were started (a
 * store such as Keyv may otherwise let a later `set` overtake an earlier `delete`). At most
 * `maxPending` operations are pending; beyond that one is dropped and reported.
 */
import { finalize, type Observable } from 'rxjs';
import { CacheError } from '../errors';

/** Tracks detached cache operations. */
export interface CacheWriter {
  /** Starts `operation$` for `key` once earlier operations on that key have ended; `onError` gets a failure. */
  run(key: string, operation$: Observable<unknown>, onError: (error: unknown) => void): void;
  /** How many operations are running or queued. */
  pending(): number;
  /** Resolves when no operation is pending. */
  drain(): Promise<void>;
}

/** A writer with a bound on pending operations. */
export const createCacheWriter = (maxPending = 1000): CacheWriter => {
  const queues = new Map<string, (() => void)[]>();
  let pending = 0;
  let waiters: (() => void)[] = [];
  const settleWaiters = (): void => {
    if (pending > 0) return;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  };
  const startNext = (key: string): void => {
    const next = queues.get(key)?.shift();
    if (next === undefined) queues.delete(key);
    else next();
  };
  return {
    run(key, operation$, onError) {
      if (pending >= maxPending) {
        onError(new CacheError('set', `more than ${maxPending} cache operations pending; one was dropped`));
        return;
      }
      pending++;
      const start = (): void => {
        operation$.pipe(finalize(() => {
          pending--;
          startNext(key);
          settleWaiters();
        })).subscribe({ error: onError });
      };
      const queue = queues.get(key);
      if (queue === undefined) {
        queues.set(key, []);
        start();
      } else {
        queue.push(start);
      }
    },
    pending: () => pending,
    drain: () => new Promise<void>((resolve) => {
      waiters.push(resolve);
      settleWaiters();
    }),
  };
};
