/**
 * `finish(job, deps)`: the end of every request. Records the time the first token reaches the
 * caller; on the first terminal event it releases the request (so `active()` no longer lists
 * it), emits `metrics` then the terminal event, and completes, which tears down everything
 * upstream. Guarantees the contract's invariant: exactly one terminal event, always last, and
 * the Observable never errors. An upstream error, or an end without a terminal event, becomes
 * an `error` event (kind `system`) reported to `onSystemError`.
 *
 * `new Observable` because every token passes here.
 *
 *     source:  -s-t-t-c-     (c = complete)
 *     result:  -s-t-t-(mc|)  (m = metrics)
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../events';
import type { PipelineDeps } from '../pipeline/deps';
import { systemErrorEvent } from '../pipeline/error-events';
import type { Job } from '../pipeline/job';
import type { StageEvent } from '../pipeline/stage-events';

/** What finishing needs. */
export type FinishDeps = Pick<PipelineDeps, 'clock' | 'bottlenecks' | 'reportSystemError'>;

/** Ends the request's stream with metrics and its one terminal event. */
export const finish = (job: Job, { clock, bottlenecks, reportSystemError }: FinishDeps): OperatorFunction<StageEvent, PipelineEvent> =>
  (source) => new Observable<PipelineEvent>((subscriber) => {
    const { metrics, requestId } = job;
    let ended = false;
    const end = (terminal: TerminalEvent): void => {
      if (ended) return;
      ended = true;
      job.release();
      subscriber.next({ type: 'metrics', requestId, metrics: metrics.snapshot(clock.now(), bottlenecks) });
      subscriber.next(terminal);
      subscriber.complete();
    };
    // After the terminal, a synchronous source still calls us until `subscribe` returns: ignore it all.
    const fail = (error: unknown): void => {
      if (ended) return;
      end(systemErrorEvent('system', error, { requestId, stage: 'pipeline', plan: job.route?.plan }, reportSystemError));
    };
    return source.subscribe({
      next: (event) => {
        if (ended) return;
        if (event.type === 'token') {
          if (metrics.firstTokenAt === undefined) metrics.firstTokenAt = clock.now();
          subscriber.next(event);
        } else if (isTerminal(event)) {
          end(event);
        } else if ('job' in event) {
          fail(new Error(`internal hand-off "${event.type}" reached the end of the pipeline`));
        } else {
          subscriber.next(event);
        }
      },
      error: fail,
      complete: () => {
        if (!ended) fail(new Error('the pipeline ended without a terminal event'));
      },
    });
  });
