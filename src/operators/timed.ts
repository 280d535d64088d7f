/**
 * `timed(record, scheduler)`: times its source from subscribe to its end (complete, error or
 * unsubscribe) with `scheduler.now()` and calls `record(ms)` once, before the end is passed on.
 * Built on `tap`.
 *
 *     source:  ^--a--|        timed(record, scheduler)
 *     record:  5              at frame 5, before the completion reaches the subscriber
 */
import { asyncScheduler, defer, tap, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/** Records how long the source ran, from subscribe to end. */
export const timed = <T>(record: (ms: number) => void, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> =>
  (source) => defer(() => {
    let startedAt = 0;
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      record(scheduler.now() - startedAt);
    };
    return source.pipe(tap({ subscribe: () => { startedAt = scheduler.now(); }, complete: stop, error: stop, unsubscribe: stop }));
  });
