/**
 * The events one request's Observable emits (DESIGN section 3). Every event has `type` and
 * `requestId`; exactly one terminal event (`complete`, `error`, `cancelled`) comes last.
 */
import type { Usage } from './conversation';
import type { ExecutionPlan } from './plan';
import type { PipelineMetrics } from './metrics';

/** First event of every request. `at` is the injected clock's time. */
export interface StartEvent { readonly type: 'start'; readonly requestId: string; readonly at: number }

/** The plan the router chose (after validation). */
export interface PlanEvent { readonly type: 'plan'; readonly requestId: string; readonly plan: ExecutionPlan }

/** Result of the cache lookup; absent when caching is off. */
export interface CacheEvent { readonly type: 'cache'; readonly requestId: string; readonly hit: boolean; readonly key: string }

/** A streamed piece of text, already guarded. `source` is an expert id, `'fusion'` or `'cache'`. */
export interface TokenEvent { readonly type: 'token'; readonly requestId: string; readonly source: string; readonly text: string }

/** Sent before a retry wait. `discard: true` tells a UI to drop the partial text it showed for `source`. */
export interface RetryEvent {
  readonly type: 'retry'; readonly requestId: string; readonly source: string;
  readonly attempt: number; readonly maxRetries: number; readonly delayMs: number;
  readonly reason: string; readonly discard: boolean;
}

/** How one expert ended. */
export type ExpertOutcome = 'ok' | 'failed' | 'cancelled';

/** Sent when one expert ends (not for experts still running at cancellation). */
export interface ExpertEvent {
  readonly type: 'expert'; readonly requestId: string; readonly expertId: string;
  readonly outcome: ExpertOutcome; readonly ms: number; readonly tokens: number;
  /** A short, safe description of the failure (never a provider body or a URL). */
  readonly error?: string;
  /** What the expert's attempts cost, reported by the provider or estimated. */
  readonly usage?: Usage;
}

/** Human-readable progress, e.g. "Retry 1/2 in 180ms". */
export interface StatusEvent { readonly type: 'status'; readonly requestId: string; readonly message: string }

/** Timings of the request; sent just before the terminal event, also after errors and cancellation. */
export interface MetricsEvent { readonly type: 'metrics'; readonly requestId: string; readonly metrics: PipelineMetrics }

/** Terminal: the final answer. A UI that showed fusion tokens replaces them with `text` when `degraded`. */
export interface CompleteEvent {
  readonly type: 'complete'; readonly requestId: string;
  readonly text: string; readonly fromCache: boolean; readonly degraded: boolean;
  /** Totals over every expert and the fusion (zero for a cached answer). */
  readonly usage?: Usage;
}

/** What went wrong, safe to show: `user: true` only for the caller's own mistakes. */
export type ErrorKind = 'validation' | 'duplicate-request' | 'system' | 'overloaded' | 'no-experts';

/** The `error` field of an `error` event. */
export interface PublicError {
  readonly kind: ErrorKind; readonly message: string; readonly user: boolean;
  readonly issues?: readonly string[];
}

/** Terminal: the request failed. */
export interface ErrorEvent { readonly type: 'error'; readonly requestId: string; readonly error: PublicError }

/** Terminal: the request was cancelled; teardown already happened. */
export interface CancelledEvent { readonly type: 'cancelled'; readonly requestId: string; readonly reason: string }

/** Every event a request's Observable can emit. */
export type PipelineEvent =
  | StartEvent | PlanEvent | CacheEvent | TokenEvent | RetryEvent | ExpertEvent
  | StatusEvent | MetricsEvent | CompleteEvent | ErrorEvent | CancelledEvent;

/** The kinds of event, as their `type` strings. */
export type PipelineEventType = PipelineEvent['type'];

/** The three events that end a request. */
export type TerminalEvent = CompleteEvent | ErrorEvent | CancelledEvent;

/** True for `complete`, `error` and `cancelled`. */
export const isTerminal = (event: { readonly type: string }): event is TerminalEvent =>
  event.type === 'complete' || event.type === 'error' || event.type === 'cancelled';
