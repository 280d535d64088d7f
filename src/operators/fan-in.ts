/**
 * `fanIn(runs, deps)`: subscribes every run at once and forwards their events as they come;
 * when all have completed it emits `done()` and completes. Records the time from subscribe to
 * that end (or to an unsubscribe) as the `execution` stage.
 *
 * `new Observable` because every expert token passes here: one hop, where
 * `concat(merge(...runs).pipe(timed(...)), defer(() => of(done())))` would be three.
 *
 *     run A:   -a---a|
 *     run B:   --b|
 *     result:  -ab--a(d|)
 */
import { Observable } from 'rxjs';
import type { Stage } from '../pipeline/metrics';
import type { TimingDeps } from './timed';

/** Merges `runs`, then emits `done()`; times the whole as `stage`. */
export const fanIn = <T>(runs: readonly Observable<T>[], done: () => T, stage: Stage, { clock, record }: TimingDeps): Observable<T> =>
  new Observable<T>((subscriber) => {
    const startedAt = clock.now();
    let timed = false;
    const stop = (): void => {
      if (timed) return;
      timed = true;
      record(stage, clock.now() - startedAt);
    };
    let running = runs.length;
    const finish = (): void => {
      stop();
      subscriber.next(done());
      subscriber.complete();
    };
    const forward = {
      next: (value: T) => subscriber.next(value),
      error: (error: unknown) => {
        stop();
        subscriber.error(error);
      },
      complete: () => {
        if (--running === 0) finish();
      },
    };
    if (running === 0) finish();
    for (const run of runs) {
      if (subscriber.closed) break;
      subscriber.add(run.subscribe(forward));
    }
    return stop;
  });
