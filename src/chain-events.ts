/**
 * The events that travel BETWEEN the chain's operators besides the public ones (the
 * "action stream"): hand-offs that carry one request's data from one stage to the next, and
 * facts for the metrics. Each operator reacts to the kinds it owns and passes every other event
 * through, so a cache hit skips fan-out and fusion with no branching, and a user can insert an
 * operator of their own anywhere. `finish` turns the stream into the public events (it folds
 * the facts into the `metrics` event); no hand-off ever reaches the caller.
 *
 * Every event is immutable and carries the request's data itself: no operator shares a mutable
 * object with another.
 *
 *     request -> validate -> validated -> plan -> planned -> cacheLookup -> execute | answer
 *     execute -> fanOutExperts -> answers -> fuse -> answer -> guard -> guarded -> storeAnswer -> complete
 */
import type { Usage } from './conversation';
import type { PipelineEvent } from './events';
import type { CacheFault, Stage } from './metrics';
import type { Route } from './plan';
import type { DialogueRequest, ExpertAnswer } from './ports';

/** A request as the caller gave it, before validation: what `validate` consumes. */
export interface RequestEvent {
  readonly type: 'request';
  readonly requestId: string;
  /** The clock's time when the request started (the `start` event's `at`). */
  readonly at: number;
  /** What the caller passed as the prompt (unchecked). */
  readonly input: unknown;
  /** What the caller passed as options (unchecked). */
  readonly options: unknown;
}

/** A checked request: what `plan` consumes. */
export interface ValidatedEvent {
  readonly type: 'validated';
  readonly requestId: string;
  readonly request: DialogueRequest;
  /** Prompt-injection heuristics the prompt matched (when flagging); shown in the plan's metadata. */
  readonly injection?: readonly string[];
}

/** A planned request: what `cacheLookup` consumes. */
export interface PlannedEvent {
  readonly type: 'planned';
  readonly requestId: string;
  readonly request: DialogueRequest;
  readonly route: Route;
}

/** A request to run on the experts (a cache miss): what `fanOutExperts` consumes. */
export interface ExecuteEvent {
  readonly type: 'execute';
  readonly requestId: string;
  readonly request: DialogueRequest;
  readonly route: Route;
  /** The plan-aware cache key: where the answer is stored, and what single flight shares on. */
  readonly cacheKey?: string;
}

/** One expert's progress in an execution, as of the moment it is read. */
export interface ExpertProgress {
  readonly expertId: string;
  /** Attempts started so far (1 + retries). */
  readonly attempts: number;
  /** Tokens of the current attempt so far. */
  readonly tokens: number;
  /** When the expert's first token (of any attempt) arrived; undefined before. */
  readonly firstTokenAt: number | undefined;
  /** The current attempt's text so far (joined when called). */
  textSoFar(): string;
}

/**
 * The experts started (fan-out took its slot). `at` is when; `progress()` reads each expert's
 * progress: `finish` uses it for the metrics of experts still running at the end, a late
 * single-flight joiner for the text it missed.
 */
export interface ExpertsStartedEvent {
  readonly type: 'experts-started';
  readonly requestId: string;
  readonly at: number;
  readonly progress: () => readonly ExpertProgress[];
}

/** Every expert ended: what `fuse` consumes. */
export interface AnswersEvent {
  readonly type: 'answers';
  readonly requestId: string;
  readonly request: DialogueRequest;
  readonly route: Route;
  readonly cacheKey?: string;
  /** The clean answers, in plan order. */
  readonly answers: readonly ExpertAnswer[];
  /** The final errors of the experts that failed. */
  readonly failures: readonly unknown[];
  /** What every expert's attempts cost, failed ones included. */
  readonly usage: Usage;
}

/** The answer before the guard's final pass: what `guard` consumes (from fusion or the cache). */
export interface AnswerEvent {
  readonly type: 'answer';
  readonly requestId: string;
  readonly text: string;
  readonly fromCache: boolean;
  readonly degraded: boolean;
  /** Where to store it (absent when the key is unknown). */
  readonly cacheKey?: string;
  /** The plan that produced it (stored with a cached answer). */
  readonly planId: string;
  /** What producing it cost (experts and fusion; zero from the cache). */
  readonly usage?: Usage;
}

/** The guarded answer: what `storeAnswer` consumes. */
export interface GuardedEvent extends Omit<AnswerEvent, 'type'> { readonly type: 'guarded' }

/**
 * A stage's timing, for the `metrics` event: `at` is when it started, `ms` how long it took
 * (absent while it runs: `finish` then counts it up to the terminal event). `fault` tells why a
 * cache lookup counted as a miss.
 */
export interface TimingEvent {
  readonly type: 'timing';
  readonly requestId: string;
  readonly stage: Stage;
  readonly at: number;
  readonly ms?: number;
  readonly fault?: CacheFault;
}

/** The hand-offs between stages, which must never reach the caller. */
export type HandoffEvent =
  | RequestEvent | ValidatedEvent | PlannedEvent | ExecuteEvent | AnswersEvent | AnswerEvent | GuardedEvent;

/** Everything that travels between the chain's operators. */
export type ChainEvent = PipelineEvent | HandoffEvent | ExpertsStartedEvent | TimingEvent;

/** The kinds of chain event, as their `type` strings. */
export type ChainEventType = ChainEvent['type'];

/** The chain event of the given type. */
export type ChainEventOf<T extends ChainEventType> = Extract<ChainEvent, { type: T }>;

const HANDOFFS: ReadonlySet<string> = new Set<HandoffEvent['type']>(['request', 'validated', 'planned', 'execute', 'answers', 'answer', 'guarded']);

/** True for a hand-off (an event that must be consumed by a stage, never shown). */
export const isHandoff = (event: ChainEvent): event is HandoffEvent => HANDOFFS.has(event.type);

/**
 * A `request` hand-off to start a chain with (what `DialoguePlugin.process` builds): `input` is
 * the prompt, `options` the per-request options (`requestId` is required here, `at` defaults to
 * `Date.now()`; pass `scheduler.now()` in virtual time).
 */
export const requestEvent = (input: unknown, { requestId, at = Date.now(), ...options }: { readonly requestId: string; readonly at?: number; readonly [option: string]: unknown }): RequestEvent =>
  ({ type: 'request', requestId, at, input, options: { requestId, ...options } });
