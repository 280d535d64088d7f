/**
 * Runs cache writes (and deletes of corrupt records) detached from the request, so a caller
 * who unsubscribes right after `complete` does not abort the write, and `close()` can wait for
 * them. Operations on one key run one after another, in the order they were started (a
 * store such as Keyv may otherwise let a later `set` overtake an earlier `delete`); a newer
 * operation replaces one still waiting for the same key (the newer write wins anyway), so
 * identical requests do not queue identical writes. Every operation that has not ended within
 * `timeoutMs` is abandoned, whatever it emitted meanwhile (so `close()` cannot hang on a dead
 * store); one that ends synchronously, as the memory cache's do, arms no timer at all. At most
 * `maxPending` operations are pending; beyond that one is dropped and reported.
 */
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { CacheError } from '../errors';
import type { CacheWriter } from '../ports';

export type { CacheWriter } from '../ports';

/** The plugin gives each cache operation this many times `timeouts.cacheMs` before abandoning it. */
export const WRITE_TIMEOUT_FACTOR = 10;

/** Writer settings: the deadline of each operation, and the bound on pending ones. */
export interface CacheWriterOptions { readonly timeoutMs: number; readonly scheduler?: SchedulerLike; readonly maxPending?: number }

/** A writer with a deadline per operation and a bound on pending operations. */
export const createCacheWriter = ({ timeoutMs, scheduler = asyncScheduler, maxPending = 1000 }: CacheWriterOptions): CacheWriter => {
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
  /**
   * Starts `operation$`; unless it ended synchronously, a deadline of `timeoutMs` abandons it. Ending
   * either way starts the key's next operation.
   */
  const startOf = (key: string, operation$: Observable<unknown>, onError: (error: unknown) => void) => (): void => {
    let abandoned = false;
    let deadline: Subscription | undefined;
    const operation = operation$.subscribe({ error: onError });
    // After the operation's own teardown (as `finalize` would): report an abandoned one, start the key's next.
    operation.add(() => {
      deadline?.unsubscribe();
      if (abandoned) onError(new CacheError('set', `cache operation took longer than ${timeoutMs}ms; abandoned`));
      pending--;
      startNext(key);
      settleWaiters();
    });
    if (operation.closed) return;
    deadline = scheduler.schedule(() => {
      abandoned = true;
      operation.unsubscribe();
    }, timeoutMs);
  };
  return {
    run(key, operation$, onError) {
      const queue = queues.get(key);
      if (queue !== undefined && queue.length > 0) {
        // Still waiting: the newer operation replaces it (no new pending entry).
        queue[queue.length - 1] = startOf(key, operation$, onError);
        return;
      }
      if (pending >= maxPending) {
        onError(new CacheError('set', `more than ${maxPending} cache operations pending; one was dropped`));
        return;
      }
      pending++;
      const start = startOf(key, operation$, onError);
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
