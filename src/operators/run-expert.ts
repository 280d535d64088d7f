/**
 * `runExpert(expert, slot, job, deps)`: one expert's part of a request. Streams its tokens as
 * `token` events, applies the per-attempt deadlines, retries retriable failures with
 * exponential backoff (RxJS `retry({ count, delay })`), and ends with exactly one `expert`
 * event. It never errors: a final failure becomes `expert` with outcome `failed`.
 *
 * Every retriable failed attempt counts against the expert's circuit breaker; a clean answer
 * closes it; a run cancelled before its end frees a half-open breaker's probe.
 *
 * Before each retry wait it emits `retry` (with `discard: true` when the failed attempt had
 * already streamed tokens) and a `status` line. The answer keeps only the successful attempt's
 * text, so a retry never duplicates text.
 *
 *     attempt 1:  -a-#              (503, retriable)
 *     result:     -a-(rs)--b-c-(e|) retry + status, wait, attempt 2 streams, expert 'ok'
 */
import { catchError, concat, defer, finalize, map, of, retry, throwError, timer, type Observable } from 'rxjs';
import { ExpertError, isRetriable } from '../errors';
import type { ExpertEvent, RetryEvent, StatusEvent, TokenEvent } from '../events';
import type { PipelineDeps } from '../pipeline/deps';
import { describeFailure } from '../pipeline/describe-failure';
import type { Job } from '../pipeline/job';
import type { StageEvent } from '../pipeline/stage-events';
import type { Expert } from '../ports';
import { backoffDelay } from '../strategies/backoff';
import { expertTimeouts } from './expert-timeouts';
import { settle } from './settle';

/** What one expert run needs. */
export type RunExpertDeps = Pick<PipelineDeps, 'clock' | 'scheduler' | 'retry' | 'timeouts' | 'reportSystemError' | 'breakers'>;

/** Runs one expert of a job's plan; `slot` is its position in the plan. */
export const runExpert = (expert: Expert, slot: number, job: Job, deps: RunExpertDeps): Observable<StageEvent> => defer(() => {
  const { requestId } = job;
  const prompt = job.request?.prompt ?? '';
  const { clock, scheduler, retry: policy, timeouts } = deps;
  const source = expert.id;
  const record = job.metrics.expert(source, clock.now());
  let waitMs = 0;
  let retrying = false;

  const toToken = (token: string): TokenEvent => {
    if (record.tokens++ === 0 && record.ttft === null) record.ttft = clock.now() - record.startedAt;
    record.text += token;
    return { type: 'token', requestId, source, text: token };
  };

  const announceRetry = (error: unknown): Observable<StageEvent> => {
    const retriable = isRetriable(error);
    if (retriable) deps.breakers.failed(source);
    retrying = retriable && record.attempts <= policy.maxRetries;
    if (!retrying) return throwError(() => error);
    const retryAfterMs = ExpertError.isInstance(error) ? error.retryAfterMs : undefined;
    waitMs = backoffDelay(record.attempts, { ...policy, retryAfterMs });
    const reason = describeFailure(error);
    record.text = ''; // the failed attempt's text is discarded now, not when the next attempt starts
    const retryEvent: RetryEvent = {
      type: 'retry', requestId, source, attempt: record.attempts, maxRetries: policy.maxRetries,
      delayMs: waitMs, reason, discard: record.tokens > 0,
    };
    const status: StatusEvent = {
      type: 'status', requestId, message: `Retry ${record.attempts}/${policy.maxRetries} in ${waitMs}ms: ${source} (${reason})`,
    };
    return concat(of(retryEvent, status), throwError(() => error));
  };

  const attempt$ = defer(() => {
    record.attempts++;
    record.tokens = 0;
    record.text = '';
    return expert.stream({ requestId, prompt, attempt: record.attempts }).pipe(
      expertTimeouts(timeouts, scheduler, source),
      map(toToken),
    );
  }).pipe(catchError(announceRetry)); // outside defer: also classifies an error `stream()` throws synchronously

  const ended = (outcome: 'ok' | 'failed', error?: unknown): ExpertEvent => {
    record.outcome = outcome;
    record.ms = clock.now() - record.startedAt;
    return error === undefined
      ? { type: 'expert', requestId, expertId: source, outcome, ms: record.ms, tokens: record.tokens }
      : { type: 'expert', requestId, expertId: source, outcome, ms: record.ms, tokens: record.tokens, error: describeFailure(error) };
  };

  const failed = (error: unknown): ExpertEvent => {
    job.expertErrors.push(error);
    deps.reportSystemError(error, { requestId, stage: `expert:${source}`, plan: job.route?.plan });
    return ended('failed', error);
  };

  return attempt$.pipe(
    retry({ count: policy.maxRetries, delay: (error) => (retrying ? timer(waitMs, scheduler) : throwError(() => error)) }),
    settle<StageEvent, StageEvent>(() => {
      const { text } = record;
      if (text.trim().length === 0) return failed(new ExpertError(source, 'Empty answer', { failure: 'protocol' }));
      job.answers[slot] = { expertId: source, text, ms: clock.now() - record.startedAt, tokens: record.tokens };
      deps.breakers.succeeded(source);
      return ended('ok');
    }, failed),
    finalize(() => {
      if (record.outcome === undefined) deps.breakers.abandoned(source);
    }),
  );
});
