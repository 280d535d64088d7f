/**
 * `expertRun(expert, task, progress, deps, scheduler)`: one expert's tokens for one request,
 * with the per-attempt deadlines and retries. Errors with the last attempt's error when it
 * gives up (fan-out turns that into the `expert` event); unsubscribing stops the expert at once.
 * `task` is the attempts' common task (each attempt gets a copy with its number), or a
 * `TaskSource` that makes each attempt's task.
 *
 * Retries are RxJS's own `retry({ count, delay })`. The delay function is a pure function of
 * `(error, count)`: a non-retriable error (validation, 4xx, cancellation) ends the run at once;
 * a retriable one (timeouts, 429, 5xx, network) waits `backoffDelay(count)` (full jitter,
 * capped, `Retry-After` honoured). The wait is a cold Observable that, when retry subscribes to
 * it, first calls `deps.onRetry` (fan-out's announcement: `retry` and `status` events) and then
 * waits on `scheduler`.
 *
 * Tokens pass with no extra subscriber: the expert's Observable is subscribed with retry's own
 * subscriber, and the deadlines watch `progress.tokens`, which the caller counts.
 *
 *     attempt 1:  -a-#              (503, retriable)
 *     result:     -a----b-c-|       onRetry at frame 3, wait 2 ms, attempt 2 streams
 */
import { asyncScheduler, defer, Observable, retry, throwError, timer, type SchedulerLike, type Unsubscribable } from 'rxjs';
import { ExpertError, isRetriable } from '../errors';
import type { AttemptEnd, AttemptTrace, AttemptTracer, Expert, ExpertTask } from '../ports';
import { backoffDelay } from '../strategies/backoff';
import type { DeadlineTicker } from './deadline-ticker';
import { watchDeadlines, type ExpertDeadlines } from './expert-deadlines';

/** An expert run's progress: its caller counts the tokens of the current attempt; the run counts attempts. */
export interface RunProgress {
  tokens: number;
  attempts: number;
  /** Keeps the current attempt's deadline entry (see `DeadlineProgress`); absent: the attempt's subscriber does. */
  keep?(entry: Unsubscribable): void;
  /** Told when a retry's wait starts, unless `deps.onRetry` is given (one shared deps object can then serve many runs). */
  retrying?(notice: RetryNotice): void;
}

/** Retry policy for expert calls. */
export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform source in [0, 1) for the jitter. Default Math.random. */
  readonly random?: () => number;
}

/** A retry about to wait: the failed attempt, its error and the wait. */
export interface RetryNotice { readonly error: unknown; readonly attempt: number; readonly delayMs: number }

/** What one expert run needs. */
export interface ExpertRunDeps {
  readonly retry: RetryPolicy;
  readonly deadlines?: ExpertDeadlines;
  /** Watches the deadlines of many runs with one timer (fan-out passes its own); default: one per attempt. */
  readonly ticker?: DeadlineTicker;
  /** Called when a retry's wait starts, before it waits. */
  readonly onRetry?: (notice: RetryNotice) => void;
  /**
   * Traces each attempt (the plugin's `tracing` option). Absent (the default): nothing is added.
   * Present: each attempt gets a span, ended on its complete, error or unsubscribe, and one
   * pass-through call per token (no span event, attribute or allocation per token).
   */
  readonly traceAttempt?: AttemptTracer;
}

/** The task an expert gets, without the attempt number (the run adds it). */
export type RunTask = Omit<ExpertTask, 'attempt'>;

/** Makes each attempt's task itself (fan-out's lanes do: no task template kept per expert). */
export interface TaskSource { taskFor(attempt: number): ExpertTask }

const isTaskSource = (task: RunTask | TaskSource): task is TaskSource => typeof (task as Partial<TaskSource>).taskFor === 'function';

/** The run's tokens (see the module doc). */
export const expertRun = (
  expert: Expert,
  task: RunTask | TaskSource,
  progress: RunProgress,
  { retry: policy, deadlines = {}, onRetry, ticker, traceAttempt }: ExpertRunDeps,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<string> => {
  const untraced$ = new Observable<string>((subscriber) => {
    const attempt = ++progress.attempts;
    progress.tokens = 0;
    watchDeadlines(subscriber, progress, deadlines, scheduler, expert.id, ticker);
    let tokens$: Observable<string>;
    try {
      const made = isTaskSource(task) ? task.taskFor(attempt) : { ...task, attempt };
      tokens$ = expert.stream(traced === undefined ? made : traced.start(made));
    } catch (error) {
      subscriber.error(error);
      return;
    }
    // The expert emits straight into retry's subscriber: no hop of ours on the token path.
    tokens$.subscribe(subscriber);
  });
  const traced = traceAttempt === undefined ? undefined : tracedAttempts(traceAttempt, expert, progress);
  const attempt$ = traced === undefined ? untraced$ : traced.wrap(untraced$);
  const delay = (error: unknown, count: number): Observable<unknown> => (!isRetriable(error)
    ? throwError(() => error)
    : defer(() => {
      const retryAfterMs = ExpertError.isInstance(error) ? error.retryAfterMs : undefined;
      const delayMs = backoffDelay(count, { ...policy, retryAfterMs });
      const notice: RetryNotice = { error, attempt: count, delayMs };
      if (onRetry === undefined) progress.retrying?.(notice);
      else onRetry(notice);
      return timer(delayMs, scheduler);
    }));
  return attempt$.pipe(retry({ count: policy.maxRetries, delay }));
};

/** Per run: the current attempt's span, started with its task and ended with the attempt (deadline errors included). */
const tracedAttempts = (traceAttempt: AttemptTracer, expert: Expert, progress: RunProgress) => {
  let current: AttemptTrace | undefined;
  return {
    start: (task: ExpertTask): ExpertTask => {
      current = traceAttempt(expert, task, () => progress.tokens);
      return current.task;
    },
    wrap: (attempt$: Observable<string>): Observable<string> => new Observable<string>((subscriber) => {
      current = undefined;
      const end = (how: AttemptEnd): void => current?.end(how);
      const inner = attempt$.subscribe({
        next: (token) => subscriber.next(token),
        error: (error: unknown) => { end({ outcome: 'failed', error }); subscriber.error(error); },
        complete: () => { end({ outcome: 'ok' }); subscriber.complete(); },
      });
      return () => { inner.unsubscribe(); end({ outcome: 'cancelled' }); };
    }),
  };
};
