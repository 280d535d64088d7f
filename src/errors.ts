/**
 * Tagged error classes. Each carries a `_tag` and a `Symbol.for` marker so that
 * `X.isInstance(e)` works across duplicate copies of the package (unlike `instanceof`).
 */

const hasMarker = (error: unknown, marker: symbol): boolean =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;

const VALIDATION: unique symbol = Symbol.for('dialogue-pipeline.error.ValidationError');
const EXPERT: unique symbol = Symbol.for('dialogue-pipeline.error.ExpertError');
const TIMEOUT: unique symbol = Symbol.for('dialogue-pipeline.error.TimeoutError');
const FUSION: unique symbol = Symbol.for('dialogue-pipeline.error.FusionError');
const CACHE: unique symbol = Symbol.for('dialogue-pipeline.error.CacheError');
const CANCELLED: unique symbol = Symbol.for('dialogue-pipeline.error.CancelledError');
const OVERLOADED: unique symbol = Symbol.for('dialogue-pipeline.error.OverloadedError');

/** The caller's request is invalid; `issues` lists every problem, not just the first. */
export class ValidationError extends Error {
  readonly _tag = 'ValidationError' as const;
  readonly [VALIDATION] = true;
  constructor(readonly issues: readonly string[]) {
    super(`Invalid request: ${issues.join('; ')}`);
    this.name = 'ValidationError';
  }
  /** True for a ValidationError from any copy of this package. */
  static isInstance(error: unknown): error is ValidationError {
    return hasMarker(error, VALIDATION);
  }
}

/** Why an expert call failed, as far as retrying is concerned. */
export type ExpertFailureKind = 'http' | 'network' | 'protocol' | 'stalled' | 'circuit-open';

/** An expert (model provider) failed. `retriable` says whether another attempt may succeed. */
export class ExpertError extends Error {
  readonly _tag = 'ExpertError' as const;
  readonly [EXPERT] = true;
  readonly expertId: string;
  readonly status?: number;
  readonly retriable: boolean;
  /** Server-requested wait before the next attempt (from `Retry-After`), in ms. */
  readonly retryAfterMs?: number;
  readonly failure: ExpertFailureKind;
  constructor(
    expertId: string,
    message: string,
    details: { status?: number; failure?: ExpertFailureKind; retriable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ExpertError';
    this.expertId = expertId;
    this.status = details.status;
    this.failure = details.failure ?? (details.status === undefined ? 'network' : 'http');
    this.retryAfterMs = details.retryAfterMs;
    this.retriable = details.retriable ?? retriableStatus(this.status, this.failure);
  }
  /** True for an ExpertError from any copy of this package. */
  static isInstance(error: unknown): error is ExpertError {
    return hasMarker(error, EXPERT);
  }
}

const retriableStatus = (status: number | undefined, failure: ExpertFailureKind): boolean =>
  status === undefined ? failure !== 'protocol' && failure !== 'circuit-open' : status === 408 || status === 429 || status >= 500;

/** Which deadline an expert missed. */
export type TimeoutPhase = 'first-token' | 'idle' | 'total';

/** An expert missed a deadline: no first token in time, too long between tokens, or too long overall. */
export class TimeoutError extends Error {
  readonly _tag = 'TimeoutError' as const;
  readonly [TIMEOUT] = true;
  constructor(readonly phase: TimeoutPhase, readonly ms: number, readonly expertId?: string) {
    super(`Timed out (${phase}, ${ms}ms)${expertId === undefined ? '' : ` waiting for ${expertId}`}`);
    this.name = 'TimeoutError';
  }
  /** True for a TimeoutError from any copy of this package. */
  static isInstance(error: unknown): error is TimeoutError {
    return hasMarker(error, TIMEOUT);
  }
}

/** A fusion strategy failed; the pipeline falls back to the best-scored expert answer. */
export class FusionError extends Error {
  readonly _tag = 'FusionError' as const;
  readonly [FUSION] = true;
  constructor(readonly strategyId: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FusionError';
  }
  /** True for a FusionError from any copy of this package. */
  static isInstance(error: unknown): error is FusionError {
    return hasMarker(error, FUSION);
  }
}

/** A cache store failed or was too slow; the pipeline treats it as a miss. */
export class CacheError extends Error {
  readonly _tag = 'CacheError' as const;
  readonly [CACHE] = true;
  constructor(readonly operation: 'get' | 'set' | 'delete' | 'close' | 'decode', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheError';
  }
  /** True for a CacheError from any copy of this package. */
  static isInstance(error: unknown): error is CacheError {
    return hasMarker(error, CACHE);
  }
}

/** The request was cancelled (by `cancel`, `cancelAll`, an AbortSignal, or `close`). */
export class CancelledError extends Error {
  readonly _tag = 'CancelledError' as const;
  readonly [CANCELLED] = true;
  constructor(readonly reason: string) {
    super(`Cancelled: ${reason}`);
    this.name = 'CancelledError';
  }
  /** True for a CancelledError from any copy of this package. */
  static isInstance(error: unknown): error is CancelledError {
    return hasMarker(error, CANCELLED);
  }
}

/** More requests than `maxConcurrent + maxQueued`: the request is refused at once. */
export class OverloadedError extends Error {
  readonly _tag = 'OverloadedError' as const;
  readonly [OVERLOADED] = true;
  constructor(message = 'Too many requests in flight; try again shortly') {
    super(message);
    this.name = 'OverloadedError';
  }
  /** True for an OverloadedError from any copy of this package. */
  static isInstance(error: unknown): error is OverloadedError {
    return hasMarker(error, OVERLOADED);
  }
}

/**
 * Whether another attempt may succeed: timeouts, 408/429/5xx and network resets are retriable;
 * validation, cancellation, protocol errors and other 4xx are not.
 */
export const isRetriable = (error: unknown): boolean =>
  TimeoutError.isInstance(error) || (ExpertError.isInstance(error) && error.retriable);

const SYSTEM: unique symbol = Symbol.for('dialogue-pipeline.error.SystemError');

/**
 * What `ask()` rejects with for a system failure (`error` event of kind `system` or
 * `no-experts`): the message is the generic one of the event; the real error went to
 * `onSystemError`.
 */
export class SystemError extends Error {
  readonly _tag = 'SystemError' as const;
  readonly [SYSTEM] = true;
  constructor(readonly kind: 'system' | 'no-experts', message: string) {
    super(message);
    this.name = 'SystemError';
  }
  /** True for a SystemError from any copy of this package. */
  static isInstance(error: unknown): error is SystemError {
    return hasMarker(error, SYSTEM);
  }
}

const COORDINATION: unique symbol = Symbol.for('dialogue-pipeline.error.CoordinationError');

/** What the coordinator was doing when it failed. */
export type CoordinationOperation = 'connect' | 'claim' | 'renew' | 'append' | 'release' | 'read' | 'decode' | 'lost' | 'publish' | 'subscribe' | 'close';

/** A coordination step failed; the pipeline falls back to running the request here. */
export class CoordinationError extends Error {
  readonly _tag = 'CoordinationError' as const;
  readonly [COORDINATION] = true;
  constructor(readonly operation: CoordinationOperation, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoordinationError';
  }
  /** True for a CoordinationError from any copy of this package. */
  static isInstance(error: unknown): error is CoordinationError {
    return hasMarker(error, COORDINATION);
  }
}
