/** A scheduler whose clock moves only when a test says so, to time synchronous steps (a validator, a router, a guard). */
import { asyncScheduler, type SchedulerLike } from 'rxjs';

/** A manual clock: `scheduler.now()` reads it, `advance(ms)` moves it; scheduling goes to asyncScheduler (virtual inside run()). */
export const manualClock = (start = 0): { scheduler: SchedulerLike; advance: (ms: number) => void } => {
  let now = start;
  const scheduler: SchedulerLike = {
    now: () => now,
    schedule: ((work: never, delay?: number, state?: never) => asyncScheduler.schedule(work, delay, state)) as SchedulerLike['schedule'],
  };
  return { scheduler, advance: (ms) => { now += ms; } };
};
