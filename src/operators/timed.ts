/**
 * `timed(stage, deps)`: times its source from subscribe to its end (complete, error or
 * unsubscribe) with the injected clock and records the stage's duration. Built on `tap`.
 * Values emitted DURING the stage run downstream before the figure exists, so a stage whose
 * result triggers the next stage should emit that result after it ends (`concat`).
 *
 *     source:  ^--a--|        timed('cache', { clock, record })
 *     record:  ('cache', 5)   at frame 5
 */
import { defer, tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { Stage } from '../pipeline/metrics';

/** A time source; `scheduler.now()` fits, and is virtual inside `TestScheduler.run`. */
export interface Clock { now(): number }

/** What `timed` needs: a clock and where to put the figure. */
export interface TimingDeps {
  readonly clock: Clock;
  readonly record: (stage: Stage, ms: number) => void;
}

/**
 * Records how long the source ran, from subscribe to end. The figure is recorded before the
 * end is passed on, so whatever runs after this stage already sees it.
 */
export const timed = <T>(stage: Stage, { clock, record }: TimingDeps): MonoTypeOperatorFunction<T> =>
  (source) => defer(() => {
    let startedAt = 0;
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      record(stage, clock.now() - startedAt);
    };
    return source.pipe(tap({ subscribe: () => { startedAt = clock.now(); }, complete: stop, error: stop, unsubscribe: stop }));
  });

/** Runs a synchronous step and records its duration as `stage`; for stages with no Observable to tap. */
export const timedSync = <R>(stage: Stage, { clock, record }: TimingDeps, step: () => R): R => {
  const startedAt = clock.now();
  try {
    return step();
  } finally {
    record(stage, clock.now() - startedAt);
  }
};
