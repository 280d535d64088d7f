/**
 * `startExecution(event, context, deps, scheduler, release)`: runs every expert of an `execute`
 * hand-off at once inside a stage (see fan-out-experts.ts). Emits `experts-started`, each token
 * the moment it arrives, `retry` and `status` before each retry wait, one `expert` event per
 * expert as it ends (with what its attempts cost), then the execution `timing` and the `answers`
 * hand-off. Unsubscribing the stage stops every expert at once; `release` (the execution slot)
 * is freed when the execution ends either way.
 *
 * Per token: one event object, a counter and an array push (the answer text is joined once, at
 * the end). No clock read after an expert's first token: its deadlines watch the counter.
 * Lanes and the execution are small classes rather than closures: a request holds them while it
 * runs, so their size is per-request memory.
 */
import type { SchedulerLike, Unsubscribable } from 'rxjs';
import type { ExecuteEvent, ExpertProgress } from '../chain-events';
import { addUsage, estimateTokens, NO_USAGE, type Usage } from '../conversation';
import { ExpertError, isRetriable } from '../errors';
import type { ExpertEvent } from '../events';
import type { Expert, ExpertAnswer, ExpertTask, SystemErrorReporter } from '../ports';
import type { CircuitBreakers } from '../strategies/circuit-breaker';
import { describeFailure } from '../strategies/describe-failure';
import { expertRun, type ExpertRunDeps, type RetryNotice, type RunProgress, type TaskSource } from './expert-run';
import type { StageContext } from './staged';

/** Any non-whitespace character: an answer of only whitespace is empty (no copy, unlike `trim()`). */
const HAS_TEXT = /\S/;

/** What an execution needs besides the stage. */
export interface ExecutionDeps extends Omit<ExpertRunDeps, 'onRetry'> {
  /** Expert health, fed by every attempt; absent: no circuit breaking. */
  readonly breakers?: CircuitBreakers;
  readonly reportSystemError?: SystemErrorReporter;
}

/** One expert's part of an execution; it is also the observer of the expert's tokens. */
class Lane implements RunProgress, TaskSource {
  tokens = 0;
  attempts = 0;
  /** The current attempt's tokens, joined once at the end (allocated on the first). */
  parts: string[] | undefined;
  /** The current attempt's characters so far (its estimated usage, with no second pass over the parts). */
  chars = 0;
  firstTokenAt: number | undefined;
  /** The provider's report for the current attempt, if any. */
  reported: { readonly inputTokens: number; readonly outputTokens: number } | undefined;
  /** What the ended attempts cost. */
  usage: Usage = NO_USAGE;
  /** The current attempt's deadline entry: dropped when the attempt ends (retry, end, teardown). */
  private deadline: Unsubscribable | undefined;

  constructor(readonly expert: Expert, readonly slot: number, private readonly execution: Execution) {}

  /** The task of one attempt (made when it starts: nothing kept per expert in between). */
  taskFor(attempt: number): ExpertTask {
    const { requestId, request } = this.execution.event;
    return {
      requestId, prompt: request.prompt, messages: request.messages,
      ...(request.params === undefined ? {} : { params: request.params }),
      attempt,
      reportUsage: (usage) => { this.reported = usage; },
    };
  }

  keep(entry: Unsubscribable): void {
    this.deadline?.unsubscribe();
    this.deadline = entry;
  }

  /** The attempt ended: its deadlines no longer apply. */
  dropDeadline(): void {
    const entry = this.deadline;
    this.deadline = undefined;
    entry?.unsubscribe();
  }

  next(text: string): void {
    // One clock read per expert (its first token), none per token after.
    if (this.tokens++ === 0 && this.firstTokenAt === undefined) this.firstTokenAt = this.execution.now();
    (this.parts ??= []).push(text);
    this.chars += text.length;
    this.execution.token(this.expert.id, text);
  }

  error(error: unknown): void {
    this.dropDeadline();
    this.endAttempt();
    this.execution.failed(this, error);
  }

  complete(): void {
    this.dropDeadline();
    this.endAttempt();
    this.execution.succeeded(this);
  }

  /** Adds the attempt that just ended to the usage: as the provider reported it, else estimated. */
  endAttempt(): void {
    const reported = this.reported;
    this.reported = undefined;
    this.usage = addUsage(this.usage, reported === undefined
      ? { inputTokens: this.execution.inputTokens, outputTokens: estimateTokens(this.chars), estimated: true }
      : { inputTokens: reported.inputTokens, outputTokens: reported.outputTokens, estimated: false });
  }

  retrying(notice: RetryNotice): void {
    this.dropDeadline();
    this.execution.announce(this, notice);
  }

  progress(): ExpertProgress {
    return { expertId: this.expert.id, attempts: this.attempts, tokens: this.tokens, firstTokenAt: this.firstTokenAt, textSoFar: () => this.parts?.join('') ?? '' };
  }
}

/** The state of one execution. */
class Execution {
  readonly at: number;
  readonly lanes: Lane[];
  /** Allocated on the first answer or failure. */
  private answers: (ExpertAnswer | undefined)[] | undefined;
  private failures: unknown[] | undefined;
  /** The execution slot, freed when the execution ends either way. */
  release: (() => void) | undefined;
  /** Experts whose half-open breaker probe this execution holds. */
  private probes: string[] | undefined;
  private done = false;
  /** The conversation's estimated input tokens (for attempts whose provider reports none). */
  readonly inputTokens: number;
  private remaining: number;

  constructor(readonly event: ExecuteEvent, private readonly context: StageContext, private readonly deps: ExecutionDeps, private readonly scheduler: SchedulerLike) {
    this.at = scheduler.now();
    let characters = 0;
    for (const message of event.request.messages) characters += message.content.length;
    this.inputTokens = estimateTokens(characters);
    this.lanes = event.route.experts.map((expert, slot) => new Lane(expert, slot, this));
    this.remaining = this.lanes.length;
  }

  now(): number {
    return this.scheduler.now();
  }

  token(source: string, text: string): void {
    this.context.token({ type: 'token', requestId: this.event.requestId, source, text });
  }

  start(): void {
    const { next } = this.context;
    const { requestId } = this.event;
    const { breakers } = this.deps;
    next({ type: 'experts-started', requestId, at: this.at, progress: () => this.lanes.map((lane) => lane.progress()) });
    if (this.lanes.length === 0) {
      this.allEnded();
      return;
    }
    for (const lane of this.lanes) {
      const id = lane.expert.id;
      const admission = breakers?.tryStart(id) ?? 'run';
      if (admission === 'refused') {
        this.failed(lane, new ExpertError(id, 'Circuit open: the expert is being probed by another request', { failure: 'circuit-open' }));
        continue;
      }
      if (admission === 'probe') (this.probes ??= []).push(id);
      const tokens$ = expertRun(lane.expert, lane, lane, this.deps, this.scheduler);
      this.context.run(tokens$, lane);
    }
  }

  succeeded(lane: Lane): void {
    const text = lane.parts?.join('') ?? '';
    if (!HAS_TEXT.test(text)) {
      this.failed(lane, new ExpertError(lane.expert.id, 'Empty answer', { failure: 'protocol' }));
      return;
    }
    (this.answers ??= [])[lane.slot] = { expertId: lane.expert.id, text, ms: this.scheduler.now() - this.at, tokens: lane.tokens, usage: lane.usage };
    this.deps.breakers?.succeeded(lane.expert.id);
    this.ended(lane, 'ok');
  }

  failed(lane: Lane, error: unknown): void {
    if (isRetriable(error)) this.deps.breakers?.failed(lane.expert.id);
    (this.failures ??= []).push(error);
    const report = this.deps.reportSystemError ?? (() => undefined);
    report(error, { requestId: this.event.requestId, stage: `expert:${lane.expert.id}`, plan: this.event.route.plan });
    this.ended(lane, 'failed', error);
  }

  /** A retry of `lane`'s expert is about to wait: its `retry` and `status` events. */
  announce(lane: Lane, { error, attempt, delayMs }: RetryNotice): void {
    const source = lane.expert.id;
    const { requestId } = this.event;
    const { maxRetries } = this.deps.retry;
    this.deps.breakers?.failed(source);
    const reason = describeFailure(error);
    const discard = lane.tokens > 0;
    lane.endAttempt();
    // The failed attempt's text and count are dropped now, not when the next attempt starts.
    lane.parts = undefined;
    lane.chars = 0;
    lane.tokens = 0;
    this.context.next({ type: 'retry', requestId, source, attempt, maxRetries, delayMs, reason, discard });
    this.context.next({ type: 'status', requestId, message: `Retry ${attempt}/${maxRetries} in ${delayMs}ms: ${source} (${reason})` });
  }

  private ended(lane: Lane, outcome: 'ok' | 'failed', error?: unknown): void {
    const { requestId } = this.event;
    const ms = this.scheduler.now() - this.at;
    const expertId = lane.expert.id;
    const { tokens, usage } = lane;
    const expertEvent: ExpertEvent = error === undefined
      ? { type: 'expert', requestId, expertId, outcome, ms, tokens, usage }
      : { type: 'expert', requestId, expertId, outcome, ms, tokens, error: describeFailure(error), usage };
    this.context.next(expertEvent);
    if (--this.remaining === 0) this.allEnded();
  }

  private allEnded(): void {
    const { requestId, request, route, cacheKey } = this.event;
    const { next } = this.context;
    next({ type: 'timing', requestId, stage: 'execution', at: this.at, ms: this.scheduler.now() - this.at });
    const clean = this.answers?.filter((answer): answer is ExpertAnswer => answer !== undefined) ?? [];
    const usage = this.lanes.reduce((total, lane) => addUsage(total, lane.usage), NO_USAGE);
    next({ type: 'answers', requestId, request, route, ...(cacheKey === undefined ? {} : { cacheKey }), answers: clean, failures: this.failures ?? [], usage });
    this.unsubscribe();
  }

  /**
   * The execution ended, or its stage was torn down (it is one of the stage's teardowns): frees
   * the slot, and the breaker probes that ended in neither a clean answer nor a counted failure
   * (a cancel, a 4xx) for another run. Runs once.
   */
  unsubscribe(): void {
    if (this.done) return;
    this.done = true;
    for (const lane of this.lanes) lane.dropDeadline();
    this.release?.();
    for (const id of this.probes ?? []) this.deps.breakers?.abandoned(id);
  }
}

/** Runs the experts of `event` (see the module doc). */
export const startExecution = (
  event: ExecuteEvent,
  context: StageContext,
  deps: ExecutionDeps,
  scheduler: SchedulerLike,
  release?: () => void,
): void => {
  const execution = new Execution(event, context, deps, scheduler);
  execution.release = release;
  context.add(execution);
  execution.start();
};

