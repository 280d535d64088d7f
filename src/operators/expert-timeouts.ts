/**
 * `expertTimeouts(deadlines, scheduler, expertId)`: fails a token stream with a
 * `TimeoutError` when it misses a deadline: no first token within `firstTokenMs`, more than
 * `idleMs` between tokens, or more than `totalMs` overall.
 *
 * One timer per subscription, re-armed lazily when it fires (it checks the time of the last
 * token), so a token costs one clock read and no timer work: `timeout({ each })` would cancel
 * and re-create a timer per token. Hence `new Observable`.
 *
 *     source:  --a-----b|          firstTokenMs 3, idleMs 4
 *     result:  --a---#             TimeoutError('idle') at frame 6
 */
import { Observable, type MonoTypeOperatorFunction, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TimeoutError, type TimeoutPhase } from '../errors';

/** Per-attempt deadlines in ms; omitted or Infinity = none. */
export interface ExpertDeadlines { readonly firstTokenMs?: number; readonly idleMs?: number; readonly totalMs?: number }

/** Applies the deadlines to a token stream, in the scheduler's time. */
export const expertTimeouts = (
  { firstTokenMs = Infinity, idleMs = Infinity, totalMs = Infinity }: ExpertDeadlines,
  scheduler: SchedulerLike,
  expertId?: string,
): MonoTypeOperatorFunction<string> =>
  (source) => new Observable<string>((subscriber) => {
    const startedAt = scheduler.now();
    const tracksIdle = Number.isFinite(idleMs);
    let lastTokenAt = startedAt;
    let seen = false;
    const nextDeadline = (): { at: number; phase: TimeoutPhase; ms: number } => {
      const tokenAt = seen ? lastTokenAt + idleMs : startedAt + firstTokenMs;
      const totalAt = startedAt + totalMs;
      if (totalAt <= tokenAt) return { at: totalAt, phase: 'total', ms: totalMs };
      return seen ? { at: tokenAt, phase: 'idle', ms: idleMs } : { at: tokenAt, phase: 'first-token', ms: firstTokenMs };
    };
    function check(this: SchedulerAction<undefined>): void {
      const deadline = nextDeadline();
      const now = scheduler.now();
      if (now >= deadline.at) subscriber.error(new TimeoutError(deadline.phase, deadline.ms, expertId));
      // No finite deadline left: stop (a real setInterval(Infinity) would fire every 1 ms).
      else if (Number.isFinite(deadline.at)) this.schedule(undefined, deadline.at - now);
    }
    // Armed at subscribe, or at the first token when only the idle deadline is finite.
    let armed = false;
    const arm = (): void => {
      const deadline = nextDeadline();
      if (!Number.isFinite(deadline.at)) return;
      armed = true;
      subscriber.add(scheduler.schedule(check, deadline.at - scheduler.now()));
    };
    arm();
    subscriber.add(source.subscribe({
      next: (token) => {
        if (tracksIdle) lastTokenAt = scheduler.now();
        seen = true;
        if (!armed) arm();
        subscriber.next(token);
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }));
  });
