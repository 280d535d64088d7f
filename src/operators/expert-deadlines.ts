/**
 * `watchDeadlines(subscriber, progress, deadlines, scheduler)`: fails one expert attempt with a
 * `TimeoutError` when it misses a deadline: no first token within `firstTokenMs`, no new token
 * for `idleMs`, or more than `totalMs` overall.
 *
 * Tokens are never timed: that would be a clock read per token. A deadline ticker
 * (deadline-ticker.ts: one timer for every attempt of a plugin) looks at the attempt's token
 * count instead. The first-token and total deadlines are
 * exact; the idle one is checked every `ceil(idleMs / 4)` ms, so a stream that goes silent fails
 * between `idleMs` and `1.25 x idleMs` after its last token.
 *
 * Before the first token only the first-token (and total) deadline applies; the idle one
 * starts with the first token.
 *
 *     tokens:  --a-b-------         firstTokenMs 3, idleMs 4 (checked every 1 ms)
 *     error:   --------#            TimeoutError('idle'): no new token seen since the check at frame 4
 */
import type { SchedulerLike, Subscriber, Unsubscribable } from 'rxjs';
import { createDeadlineTicker, type DeadlineTicker, type Watched } from './deadline-ticker';
import { TimeoutError } from '../errors';

/** Per-attempt deadlines in ms; omitted or Infinity = none. */
export interface ExpertDeadlines { readonly firstTokenMs?: number; readonly idleMs?: number; readonly totalMs?: number }

/** How many times per `idleMs` the idle deadline is checked. */
export const IDLE_CHECKS_PER_PERIOD = 4;

/** One attempt's deadlines, watched by its scheduler's ticker (see deadline-ticker.ts). */
class AttemptDeadlines implements Watched {
  due = 0;
  removed = false;
  private seen = 0;
  private progressAt: number;
  private readonly checkEvery: number;

  /** Set when watched: the attempt's teardown (`unsubscribe`) takes the entry off it. */
  ticker: DeadlineTicker | undefined;

  constructor(
    private readonly subscriber: Subscriber<unknown>,
    private readonly progress: { readonly tokens: number },
    private readonly deadlines: Required<ExpertDeadlines>,
    private readonly startedAt: number,
    private readonly expertId: string | undefined,
  ) {
    this.progressAt = startedAt;
    this.checkEvery = Number.isFinite(deadlines.idleMs) ? Math.max(1, Math.ceil(deadlines.idleMs / IDLE_CHECKS_PER_PERIOD)) : Infinity;
  }

  /** When the next check is due, seen from `now`. */
  nextCheckAt(now: number): number {
    const { firstTokenMs, totalMs } = this.deadlines;
    return Math.min(this.startedAt + totalMs, this.progress.tokens === 0 ? this.startedAt + firstTokenMs : Infinity, now + this.checkEvery);
  }

  check(now: number): number {
    const { firstTokenMs, idleMs, totalMs } = this.deadlines;
    const { tokens } = this.progress;
    if (now >= this.startedAt + totalMs) return this.fail(new TimeoutError('total', totalMs, this.expertId));
    if (tokens === 0) {
      if (now >= this.startedAt + firstTokenMs) return this.fail(new TimeoutError('first-token', firstTokenMs, this.expertId));
    } else if (tokens !== this.seen) {
      this.seen = tokens;
      this.progressAt = now;
    } else if (now >= this.progressAt + idleMs) {
      return this.fail(new TimeoutError('idle', idleMs, this.expertId));
    }
    return this.nextCheckAt(now);
  }

  /** The attempt ended: stop watching it. */
  unsubscribe(): void {
    this.ticker?.remove(this);
  }

  private fail(error: TimeoutError): number {
    this.subscriber.error(error);
    return Infinity;
  }
}

/**
 * An attempt's progress as the deadlines see it: `tokens` counts the attempt's tokens. With
 * `keep`, the progress keeps the attempt's deadline entry and must `unsubscribe()` it when the
 * attempt ends, however it ends (fan-out's lanes do: they know, and it saves a finalizer on
 * every attempt's subscriber); without it, the entry is a finalizer of the subscriber.
 */
export interface DeadlineProgress {
  readonly tokens: number;
  keep?(entry: Unsubscribable): void;
}

/**
 * Arms the deadlines of one attempt on `subscriber` (they stop with it, or with what `progress`
 * keeps: see {@link DeadlineProgress}). `ticker`: the shared one to watch with (default: one of
 * its own, on `scheduler`).
 */
export const watchDeadlines = (
  subscriber: Subscriber<unknown>,
  progress: DeadlineProgress,
  { firstTokenMs = Infinity, idleMs = Infinity, totalMs = Infinity }: ExpertDeadlines,
  scheduler: SchedulerLike,
  expertId?: string,
  ticker: DeadlineTicker = createDeadlineTicker(scheduler),
): void => {
  const startedAt = scheduler.now();
  const entry = new AttemptDeadlines(subscriber, progress, { firstTokenMs, idleMs, totalMs }, startedAt, expertId);
  const first = entry.nextCheckAt(startedAt);
  if (!Number.isFinite(first)) return;
  entry.due = first;
  entry.ticker = ticker;
  ticker.add(entry);
  if (progress.keep === undefined) subscriber.add(entry);
  else progress.keep(entry);
};
