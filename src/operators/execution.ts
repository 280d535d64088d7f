/**
 * `startExecution(event, context, deps, scheduler, release)`: runs every expert of an `execute`
 * hand-off at once inside a stage (see fan-out-experts.ts). Emits `experts-started`, each token
 * the moment it arrives, `retry` and `status` before each retry wait, one `expert` event per
 * expert as it ends, then the execution `timing` and the `answers` hand-off. Unsubscribing the
 * stage stops every expert at once; `release` (the execution slot) is freed when the execution
 * ends either way.
 *
 * Per token: one event object, a counter and an array push (the answer text is joined once, at
 * the end). No clock read: the expert's deadlines watch the counter.
 */
import { Subscription, type SchedulerLike } from 'rxjs';
import type { ExecuteEvent, ExpertProgress } from '../chain-events';
import { ExpertError, isRetriable } from '../errors';
import type { ExpertEvent } from '../events';
import type { Expert, ExpertAnswer, SystemErrorReporter } from '../ports';
import type { CircuitBreakers } from '../strategies/circuit-breaker';
import { describeFailure } from '../strategies/describe-failure';
import { expertRun, type ExpertRunDeps, type RetryNotice, type RunProgress } from './expert-run';
import type { StageContext } from './staged';

/** Any non-whitespace character: an answer of only whitespace is empty (no copy, unlike `trim()`). */
const HAS_TEXT = /\S/;

/** What an execution needs besides the stage. */
export interface ExecutionDeps extends Omit<ExpertRunDeps, 'onRetry'> {
  /** Expert health, fed by every attempt; absent: no circuit breaking. */
  readonly breakers?: CircuitBreakers;
  readonly reportSystemError?: SystemErrorReporter;
}

/** One expert's part of an execution. */
interface Lane {
  readonly expert: Expert;
  readonly progress: RunProgress;
  /** The current attempt's tokens, joined once at the end. */
  parts: string[];
  firstTokenAt: number | undefined;
}

const progressOf = (lane: Lane): ExpertProgress => ({
  expertId: lane.expert.id,
  attempts: lane.progress.attempts,
  tokens: lane.progress.tokens,
  firstTokenAt: lane.firstTokenAt,
  textSoFar: () => lane.parts.join(''),
});

/** Runs the experts of `event` (see the module doc). */
export const startExecution = (
  event: ExecuteEvent,
  { next, run, add }: StageContext,
  deps: ExecutionDeps,
  scheduler: SchedulerLike,
  release?: () => void,
): void => {
  const { requestId, request, route, cacheKey } = event;
  const { breakers, retry: policy } = deps;
  const report = deps.reportSystemError ?? (() => undefined);
  const at = scheduler.now();
  const lanes: Lane[] = route.experts.map((expert) => ({ expert, progress: { tokens: 0, attempts: 0 }, parts: [], firstTokenAt: undefined }));
  const answers: (ExpertAnswer | undefined)[] = [];
  const failures: unknown[] = [];
  const group = new Subscription();
  if (release !== undefined) group.add(release);
  add(group);
  let remaining = lanes.length;

  const ended = (lane: Lane, outcome: 'ok' | 'failed', error?: unknown): void => {
    const ms = scheduler.now() - at;
    const expertId = lane.expert.id;
    const tokens = lane.progress.tokens;
    const expertEvent: ExpertEvent = error === undefined
      ? { type: 'expert', requestId, expertId, outcome, ms, tokens }
      : { type: 'expert', requestId, expertId, outcome, ms, tokens, error: describeFailure(error) };
    next(expertEvent);
    if (--remaining === 0) allEnded();
  };
  const allEnded = (): void => {
    next({ type: 'timing', requestId, stage: 'execution', at, ms: scheduler.now() - at });
    const clean = answers.filter((answer): answer is ExpertAnswer => answer !== undefined);
    next({ type: 'answers', requestId, request, route, ...(cacheKey === undefined ? {} : { cacheKey }), answers: clean, failures });
    group.unsubscribe();
  };
  const failed = (lane: Lane, error: unknown): void => {
    if (isRetriable(error)) breakers?.failed(lane.expert.id);
    failures.push(error);
    report(error, { requestId, stage: `expert:${lane.expert.id}`, plan: route.plan });
    ended(lane, 'failed', error);
  };
  const succeeded = (lane: Lane, slot: number): void => {
    const text = lane.parts.join('');
    if (!HAS_TEXT.test(text)) {
      failed(lane, new ExpertError(lane.expert.id, 'Empty answer', { failure: 'protocol' }));
      return;
    }
    answers[slot] = { expertId: lane.expert.id, text, ms: scheduler.now() - at, tokens: lane.progress.tokens };
    breakers?.succeeded(lane.expert.id);
    ended(lane, 'ok');
  };
  const announce = (lane: Lane, { error, attempt, delayMs }: RetryNotice): void => {
    const source = lane.expert.id;
    breakers?.failed(source);
    const reason = describeFailure(error);
    const discard = lane.progress.tokens > 0;
    // The failed attempt's text and count are dropped now, not when the next attempt starts.
    lane.parts = [];
    lane.progress.tokens = 0;
    next({ type: 'retry', requestId, source, attempt, maxRetries: policy.maxRetries, delayMs, reason, discard });
    next({ type: 'status', requestId, message: `Retry ${attempt}/${policy.maxRetries} in ${delayMs}ms: ${source} (${reason})` });
  };

  next({ type: 'experts-started', requestId, at, progress: () => lanes.map(progressOf) });
  if (remaining === 0) {
    allEnded();
    return;
  }
  const task = { requestId, prompt: request.prompt };
  lanes.forEach((lane, slot) => {
    const id = lane.expert.id;
    const admission = breakers?.tryStart(id) ?? 'run';
    if (admission === 'refused') {
      failed(lane, new ExpertError(id, 'Circuit open: the expert is being probed by another request', { failure: 'circuit-open' }));
      return;
    }
    // A probe that ends in neither a clean answer nor a counted failure (cancel, 4xx) is freed for another run.
    if (admission === 'probe') group.add(() => breakers?.abandoned(id));
    const tokens$ = expertRun(lane.expert, task, lane.progress, { ...deps, onRetry: (notice) => announce(lane, notice) }, scheduler);
    group.add(run(tokens$, {
      next: (text) => {
        // One clock read per expert (its first token), none per token after.
        if (lane.progress.tokens++ === 0 && lane.firstTokenAt === undefined) lane.firstTokenAt = scheduler.now();
        lane.parts.push(text);
        next({ type: 'token', requestId, source: id, text });
      },
      error: (error) => failed(lane, error),
      complete: () => succeeded(lane, slot),
    }));
  });
};
