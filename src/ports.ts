/**
 * The ports the pipeline talks through. Ports return Observables; Promises (fetch, Keyv) are
 * wrapped at the edge, in src/sources, so operators stay testable in virtual time.
 */
import type { Context } from '@opentelemetry/api';
import type { Observable, SchedulerLike } from 'rxjs';
import type { ErrorEvent, ExpertEvent, RetryEvent, StatusEvent, TokenEvent } from './events';
import type { ChatMessage, GenerationParams, Usage } from './conversation';
import type { ExecutionPlan } from './plan';

/** What an expert is asked to do. */
export interface ExpertTask {
  readonly requestId: string;
  /** The last user message (what a single-prompt expert answers). */
  readonly prompt: string;
  /** The whole conversation, system message and earlier turns included; the last one is `prompt`'s. */
  readonly messages: readonly ChatMessage[];
  /** The caller's generation parameters; an expert merges them over its own `params`. */
  readonly params?: GenerationParams;
  /** 1-based attempt number for this expert within the request. */
  readonly attempt: number;
  /**
   * Call with the provider's token counts for this attempt (e.g. OpenAI's final `usage` chunk);
   * an attempt that reports none is estimated (about 4 characters per token).
   */
  readonly reportUsage?: (usage: { readonly inputTokens: number; readonly outputTokens: number }) => void;
  /**
   * The attempt span's OpenTelemetry context, set only when the plugin traces: an expert that
   * calls out over HTTP injects it (`propagation.inject`) so the upstream joins the trace.
   */
  readonly traceContext?: Context;
}

/** One LLM (or anything else) that answers a prompt as a stream of tokens. */
export interface Expert {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Prompt template, if the expert wraps the prompt; part of the cache key. */
  readonly promptTemplate?: string;
  /** The provider's name for traces (`gen_ai.provider.name`, e.g. 'openai'); optional. */
  readonly provider?: string;
  /** Streams tokens. Unsubscribing must abort the work at once (fetch, timers), also between tokens. */
  stream(task: ExpertTask): Observable<string>;
}

/** A stored answer. */
export interface CachedAnswer { readonly text: string; readonly createdAt: number; readonly planId: string }

/** Where answers are cached. Errors and slowness are treated as misses by the pipeline. */
export interface ResponseCache {
  get(key: string): Observable<CachedAnswer | undefined>;
  set(key: string, value: CachedAnswer): Observable<void>;
  /** Optional: removes a record (used to drop corrupt records). */
  delete?(key: string): Observable<void>;
  close(): Promise<void>;
}

/** One expert's finished answer, as fusion sees it. */
export interface ExpertAnswer {
  readonly expertId: string; readonly text: string; readonly ms: number; readonly tokens: number;
  /** What the expert's attempts cost (all of them). */
  readonly usage?: Usage;
}

/** What a fusion strategy may use besides the answers. */
export interface FusionContext {
  /** The last user message. */
  readonly prompt: string;
  /** The whole conversation (its last message is `prompt`'s). */
  readonly messages?: readonly ChatMessage[];
  readonly params?: GenerationParams;
  readonly plan: ExecutionPlan;
  readonly scheduler: SchedulerLike;
  /** The request being fused (the first one, under single flight). */
  readonly requestId?: string;
  /** A generating fusion that calls a model reports that call's tokens here (added to `complete.usage`). */
  readonly reportUsage?: (usage: Usage) => void;
}

/** Turns several expert answers into one. */
export interface FusionStrategy {
  readonly id: string;
  readonly version: string;
  /** Whether the order of the plan's tasks changes the result (and so the cache key). */
  readonly orderSensitive: boolean;
  /**
   * 'select' strategies pick one expert's answer (its tokens were already streamed, so no
   * `fusion` tokens are sent); 'generate' strategies write new text, streamed as `fusion`
   * tokens. Default: 'generate'.
   */
  readonly mode?: 'select' | 'generate';
  /** The fused text, streamed. `answers` come in plan order. */
  fuse(answers: readonly ExpertAnswer[], context: FusionContext): Observable<string>;
}

/** Scores an answer for the `best` fusion and for the fallback when fusion fails; higher is better. */
export type AnswerScorer = (answer: ExpertAnswer, all: readonly ExpertAnswer[]) => number;

/** Streams redaction for one source: returns the text that is safe to emit now. */
export interface TokenRedactor {
  /** Takes the next piece; returns what can be emitted now (possibly ''), holding back a possible partial match. */
  push(text: string): string;
  /** The source ended: returns the held-back rest, redacted. */
  flush(): string;
}

/** Sanitizes output before it leaves the library, streamed tokens included. */
export interface OutputGuard {
  readonly id: string;
  /** Changes whenever the rules change; part of the cache key. */
  readonly version: string;
  /** A fresh redactor for one source's token stream. */
  open(): TokenRedactor;
  /** The same rules over a whole text. */
  apply(text: string): string;
}

/** A time source; `scheduler.now()` fits, and is virtual inside `TestScheduler.run`. */
export interface Clock { now(): number }

/** Where a system error happened, for `onSystemError`. */
export interface SystemErrorContext {
  readonly requestId: string;
  readonly stage: string;
  readonly plan?: ExecutionPlan;
  /** The tenant the request runs for, when the caller said (`process(..., { tenant })`; the server does). */
  readonly tenant?: string;
}

/** How one traced expert attempt ended. */
export type AttemptEnd = { readonly outcome: 'ok' } | { readonly outcome: 'failed'; readonly error: unknown } | { readonly outcome: 'cancelled' };

/** One traced expert attempt: its task (with `traceContext`) and the end of its span (only the first call counts). */
export interface AttemptTrace { readonly task: ExpertTask; end(how: AttemptEnd): void }

/** Starts an expert attempt's span (set only when the plugin traces); `tokens` reads the attempt's token count at its end. */
export type AttemptTracer = (expert: Expert, task: ExpertTask, tokens: () => number) => AttemptTrace;

/** Receives every system error (never the caller's own mistakes); must not throw. */
export type SystemErrorReporter = (error: unknown, context: SystemErrorContext) => void;

/**
 * Runs cache operations (writes, deletes of corrupt records) detached from the request that
 * started them, so a caller leaving right after `complete` does not abort a write, and
 * `close()` can wait for them.
 */
export interface CacheWriter {
  /** Starts `operation$` for `key` once earlier operations on that key have ended; `onError` gets a failure. */
  run(key: string, operation$: Observable<unknown>, onError: (error: unknown) => void): void;
  /** How many operations are running or queued. */
  pending(): number;
  /** Resolves when no operation is pending. */
  drain(): Promise<void>;
}

/** The request as the caller gave it, checked. */
export interface DialogueRequest {
  readonly requestId: string;
  /** The last user message. */
  readonly prompt: string;
  /** The conversation (a prompt given as a string is one user message). */
  readonly messages: readonly ChatMessage[];
  readonly params?: GenerationParams;
  readonly scope?: string;
}

/** Extra, application-specific checks run after the built-in validation; returns the problems found. */
export type Validator = (request: DialogueRequest) => readonly string[];

/** What a router knows about one expert. */
export interface ExpertStatus {
  readonly id: string; readonly model: string; readonly version: string;
  /** False while the expert's circuit breaker is open. */
  readonly healthy: boolean;
}

/** What a router decides for one prompt. */
export interface RouteDecision {
  readonly intent: string;
  /** Ids of the experts to ask, in order. */
  readonly expertIds: readonly string[];
  /** Overrides the plugin's fusion for this request. */
  readonly fusion?: FusionStrategy;
}

/** What a router sees: the prompt and the system state. */
export interface RouteInput {
  /** The request being planned. */
  readonly requestId?: string;
  /** The last user message. */
  readonly prompt: string;
  /** The whole conversation. */
  readonly messages?: readonly ChatMessage[];
  readonly scope?: string;
  readonly experts: readonly ExpertStatus[];
  /** Requests in flight (this one included), the concurrency limit, and the plugin's shedding threshold. */
  readonly load: { readonly inFlight: number; readonly maxConcurrent: number; readonly shedExpertsAbove: number };
}

/** Turns a prompt and the system state into a plan decision. */
export interface Router {
  route(input: RouteInput): RouteDecision | Observable<RouteDecision>;
}

/**
 * A public event as it travels between replicas: one of the events a shared execution emits,
 * without the `requestId` (each replica re-stamps it with its own participants' ids).
 */
export type SharedEvent =
  | Omit<TokenEvent, 'requestId'>
  | Omit<RetryEvent, 'requestId'>
  | Omit<StatusEvent, 'requestId'>
  | Omit<ExpertEvent, 'requestId'>
  | Omit<ErrorEvent, 'requestId'>;

/**
 * One entry of a shared execution's log, written by the leader, read by the followers:
 * - `event`: a public event of the execution (token, retry, status, expert, error);
 * - `answer`: the fused answer before the guard (each replica guards it itself);
 * - `reset`: the execution restarted (a takeover): drop the partial text shown so far;
 * - `end`: the last record; nothing follows.
 */
export type FlightRecord =
  | { readonly kind: 'event'; readonly event: SharedEvent }
  | { readonly kind: 'answer'; readonly text: string; readonly degraded: boolean }
  | { readonly kind: 'reset'; readonly reason: string }
  | { readonly kind: 'end' };

/** This replica runs the shared execution: it appends every record for the followers. */
export interface FlightLeader {
  readonly role: 'leader';
  /** True when this claim took over from a leader that was lost. */
  readonly takeover: boolean;
  /** Appends a record to the log (never throws; a failed write is reported by the coordinator). */
  append(record: FlightRecord): void;
}

/**
 * Another replica runs the shared execution. `records` replays its log from the start, then
 * live; it completes after `end` and errors when the leader is lost (it left, died, or the
 * coordinator lost its connection) before `end`.
 */
export interface FlightFollower {
  readonly role: 'follower';
  readonly records: Observable<FlightRecord>;
}

/** What `Coordinator.claim` decides for this replica. */
export type FlightClaim = FlightLeader | FlightFollower;

/** A cancel order from another replica; `reply` says whether the request was running here. */
export interface RemoteCancel {
  readonly requestId: string;
  reply(running: boolean): void;
}

/**
 * Coordination between replicas of a plugin (scale-out): cross-replica cancel and cross-replica
 * single flight. Implemented by `redisCoordinator`; any implementation must never hang: every
 * Observable errors or ends in bounded time when the shared store is unreachable.
 */
export interface Coordinator {
  /** This replica's id, unique in the cluster. */
  readonly replicaId: string;
  /** Cancel orders sent by other replicas (hot; the plugin subscribes once). */
  cancelOrders(): Observable<RemoteCancel>;
  /** Asks every other replica to cancel `requestId`; completes once sent (fire and forget). */
  broadcastCancel(requestId: string): Observable<void>;
  /** Asks every other replica to cancel `requestId`; emits true once one had it, false when none did (bounded wait). */
  cancelAnywhere(requestId: string): Observable<boolean>;
  /**
   * Claims the shared execution of `key`: emits one {@link FlightClaim}, then stays open. A
   * leader holds a cluster-wide lock while subscribed; unsubscribing releases it (followers
   * then see `records` error unless `end` was appended). Errors when the store is unreachable.
   */
  claim(key: string, options?: { readonly takeover?: boolean }): Observable<FlightClaim>;
  /** Unsubscribes, ends every claim and closes the connections it opened. */
  close(): Promise<void>;
}
