/**
 * `watchDeadlines(subscriber, progress, deadlines, scheduler)`: fails one expert attempt with a
 * `TimeoutError` when it misses a deadline: no first token within `firstTokenMs`, no new token
 * for `idleMs`, or more than `totalMs` overall.
 *
 * Tokens are never timed: that would be a clock read per token. One scheduled action per
 * attempt looks at the attempt's token count instead. The first-token and total deadlines are
 * exact; the idle one is checked every `ceil(idleMs / 4)` ms, so a stream that goes silent fails
 * between `idleMs` and `1.25 x idleMs` after its last token.
 *
 *     tokens:  --a-b---------        firstTokenMs 3, idleMs 4 (checked every 1 ms)
 *     error:   ---------#            TimeoutError('idle'): no new token seen since frame 5
 */
import type { SchedulerAction, SchedulerLike, Subscriber } from 'rxjs';
import { TimeoutError } from '../errors';

/** Per-attempt deadlines in ms; omitted or Infinity = none. */
export interface ExpertDeadlines { readonly firstTokenMs?: number; readonly idleMs?: number; readonly totalMs?: number }

/** How many times per `idleMs` the idle deadline is checked. */
export const IDLE_CHECKS_PER_PERIOD = 4;

/** Arms the deadlines of one attempt on `subscriber` (they stop with it); `progress.tokens` counts the attempt's tokens. */
export const watchDeadlines = (
  subscriber: Subscriber<unknown>,
  progress: { readonly tokens: number },
  { firstTokenMs = Infinity, idleMs = Infinity, totalMs = Infinity }: ExpertDeadlines,
  scheduler: SchedulerLike,
  expertId?: string,
): void => {
  const startedAt = scheduler.now();
  const checkEvery = Number.isFinite(idleMs) ? Math.max(1, Math.ceil(idleMs / IDLE_CHECKS_PER_PERIOD)) : Infinity;
  let seen = 0;
  let progressAt = startedAt;
  const nextCheckAt = (now: number): number =>
    Math.min(startedAt + totalMs, progress.tokens === 0 ? startedAt + firstTokenMs : Infinity, now + checkEvery);
  const first = nextCheckAt(startedAt);
  if (!Number.isFinite(first)) return;
  function check(this: SchedulerAction<undefined>): void {
    const now = scheduler.now();
    const { tokens } = progress;
    if (now >= startedAt + totalMs) {
      subscriber.error(new TimeoutError('total', totalMs, expertId));
      return;
    }
    if (tokens === 0) {
      if (now >= startedAt + firstTokenMs) {
        subscriber.error(new TimeoutError('first-token', firstTokenMs, expertId));
        return;
      }
    } else if (tokens !== seen) {
      seen = tokens;
      progressAt = now;
    } else if (now >= progressAt + idleMs) {
      subscriber.error(new TimeoutError('idle', idleMs, expertId));
      return;
    }
    const at = nextCheckAt(now);
    if (Number.isFinite(at)) this.schedule(undefined, at - now);
  }
  subscriber.add(scheduler.schedule(check, first - startedAt));
};
