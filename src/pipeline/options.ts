/** The plugin's options, their defaults, and their validation (all problems at once). */
import type { SchedulerLike } from 'rxjs';
import type { Pricing } from '../metrics';
import type { Clock, Coordinator, Expert, FusionStrategy, OutputGuard, ResponseCache, Router, SystemErrorContext, Validator } from '../ports';
import type { FusionName } from '../strategies/fusion-registry';
import type { InjectionHeuristic } from '../strategies/injection-heuristics';
import type { TracingOption } from './request-tracing';

/** Options of {@link DialoguePlugin}; everything but `experts` has a default. */
export interface DialoguePluginOptions {
  /** At least one; ids must be unique. */
  readonly experts: readonly Expert[];
  /** Default: every healthy expert, intent 'general'. */
  readonly router?: Router;
  /** Default 'best'. */
  readonly fusion?: FusionName | FusionStrategy;
  /** Default `memoryCache()`; `false` turns caching off. */
  readonly cache?: ResponseCache | false;
  /** Expert retries. Defaults: 2 retries, 200 ms base, 10 s cap; `random` seeds the jitter. */
  readonly retry?: { readonly maxRetries?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number; readonly random?: () => number };
  /** Per-attempt expert deadlines and the cache lookup deadline (ms). Defaults: 30 s, 30 s, 120 s, 100 ms. */
  readonly timeouts?: { readonly firstTokenMs?: number; readonly idleMs?: number; readonly totalMs?: number; readonly cacheMs?: number };
  /** Defaults: 100 000 code points (a prompt, or a conversation's messages in all), 1000 messages, 64 concurrent, 256 queued. */
  readonly limits?: {
    readonly maxPromptChars?: number; readonly maxMessages?: number; readonly maxConcurrent?: number; readonly maxQueued?: number;
    /** Above this many requests in flight the default router asks only half the experts. Default: never. */
    readonly shedExpertsAbove?: number;
  };
  /** Per-expert circuit breaker. Defaults: 5 failures, 30 s cool-down. */
  readonly breaker?: { readonly failureThreshold?: number; readonly cooldownMs?: number };
  /** Default: the built-in redaction rules. */
  readonly guard?: OutputGuard;
  /**
   * Prompt-injection heuristics, checked on every `user` message of the conversation: 'flag'
   * (default) lists matches in the plan event's `metadata.injection`; 'block' refuses such
   * requests with a validation error; 'off'.
   */
  readonly inputGuard?: { readonly injection?: 'flag' | 'block' | 'off'; readonly heuristics?: readonly InjectionHeuristic[] };
  /** Extra request checks, run after the built-in ones. */
  readonly validator?: Validator;
  /** Alerting hook for every system error (never called for the caller's own mistakes). */
  readonly onSystemError?: (error: unknown, context: SystemErrorContext) => void;
  /**
   * Scale-out: shares single flight and cancellation with the other replicas through this
   * coordinator (e.g. `redisCoordinator()`). `close()` closes it. Default: none.
   */
  readonly coordination?: Coordinator;
  /** Prices per model (per million input and output tokens): adds `cost` to every request's metrics. */
  readonly pricing?: Pricing;
  /**
   * OpenTelemetry tracing (through `@opentelemetry/api` only). Default off: no span is created.
   * `true`: spans from `trace.getTracer('dialogue-pipeline')` (your registered provider);
   * `{ tracer }`: spans from that tracer. See docs/DESIGN-NOTES.md, "Tracing".
   */
  readonly tracing?: TracingOption;
  /** Default: the scheduler's clock. */
  readonly clock?: Clock;
  /** Default: `asyncScheduler` (virtual inside `TestScheduler.run`). */
  readonly scheduler?: SchedulerLike;
}

/** Option values after defaults. */
export interface ResolvedNumbers {
  readonly retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number };
  readonly timeouts: { firstTokenMs: number; idleMs: number; totalMs: number; cacheMs: number };
  readonly limits: { maxPromptChars: number; maxMessages: number; maxScopeChars: number; maxConcurrent: number; maxQueued: number; shedExpertsAbove: number };
  readonly breaker: { failureThreshold: number; cooldownMs: number };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const number = (problems: string[], group: Record<string, unknown> | undefined, path: string, key: string,
  fallback: number, { min = 0, integer = false, allowInfinity = false } = {}): number => {
  const value = group?.[key];
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && value >= min && (Number.isFinite(value) || (allowInfinity && value === Infinity))
    && (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) problems.push(`${path}.${key} must be a ${integer ? 'whole ' : ''}number >= ${min}${allowInfinity ? ' (or Infinity)' : ''}`);
  return ok ? (value as number) : fallback;
};

const group = (problems: string[], options: Record<string, unknown>, key: string): Record<string, unknown> | undefined => {
  const value = options[key];
  if (value === undefined) return undefined;
  if (!isObject(value)) problems.push(`${key} must be an object`);
  return isObject(value) ? value : undefined;
};

const checkExperts = (problems: string[], experts: unknown): void => {
  if (!Array.isArray(experts) || experts.length === 0) {
    problems.push('experts must be a non-empty array');
    return;
  }
  const seen = new Set<string>();
  experts.forEach((expert: unknown, index) => {
    if (!isObject(expert) || typeof expert.stream !== 'function') {
      problems.push(`experts[${index}] must be an Expert with a stream(task) function`);
      return;
    }
    for (const field of ['id', 'model', 'version'] as const) {
      if (typeof expert[field] !== 'string' || (expert[field] as string).length === 0) problems.push(`experts[${index}].${field} must be a non-empty string`);
    }
    const id = expert.id as string;
    if (id === 'fusion' || id === 'cache') problems.push(`experts[${index}].id "${id}" is reserved for token sources`);
    if (seen.has(id)) problems.push(`experts[${index}].id "${id}" is used twice`);
    seen.add(id);
  });
};

/** Checks the options and fills in defaults; throws one TypeError listing every problem. */
export const resolveNumbers = (options: DialoguePluginOptions): ResolvedNumbers => {
  const problems: string[] = [];
  if (!isObject(options)) throw new TypeError('DialoguePlugin: options must be an object with at least `experts`');
  const raw = options as unknown as Record<string, unknown>;
  checkExperts(problems, raw.experts);
  const retry = group(problems, raw, 'retry');
  const timeouts = group(problems, raw, 'timeouts');
  const limits = group(problems, raw, 'limits');
  const breaker = group(problems, raw, 'breaker');
  for (const fn of ['onSystemError', 'validator'] as const) {
    if (raw[fn] !== undefined && typeof raw[fn] !== 'function') problems.push(`${fn} must be a function`);
  }
  if (raw.cache !== undefined && raw.cache !== false && !(isObject(raw.cache) && typeof raw.cache.get === 'function' && typeof raw.cache.set === 'function')) {
    problems.push('cache must be a ResponseCache (get, set, close) or false');
  }
  if (raw.coordination !== undefined && !(isObject(raw.coordination) && typeof raw.coordination.claim === 'function'
    && typeof raw.coordination.cancelOrders === 'function' && typeof raw.coordination.close === 'function')) {
    problems.push('coordination must be a Coordinator (claim, cancelOrders, broadcastCancel, cancelAnywhere, close)');
  }
  const inputGuard = group(problems, raw, 'inputGuard');
  if (inputGuard?.injection !== undefined && !['flag', 'block', 'off'].includes(inputGuard.injection as string)) {
    problems.push("inputGuard.injection must be 'flag', 'block' or 'off'");
  }
  const tracing = raw.tracing;
  if (tracing !== undefined && typeof tracing !== 'boolean' && !(isObject(tracing) && (tracing.tracer === undefined || (isObject(tracing.tracer) && typeof tracing.tracer.startSpan === 'function')))) {
    problems.push('tracing must be a boolean or { tracer?: Tracer }');
  }
  if (retry?.random !== undefined && typeof retry.random !== 'function') problems.push('retry.random must be a function');
  if (raw.pricing !== undefined) {
    const pricing = raw.pricing;
    const price = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
    if (!isObject(pricing) || Array.isArray(pricing)) problems.push('pricing must be an object of { inputPerMillion, outputPerMillion } by model');
    else {
      for (const [model, entry] of Object.entries(pricing)) {
        if (!isObject(entry) || !price(entry.inputPerMillion) || !price(entry.outputPerMillion)) {
          problems.push(`pricing["${model.slice(0, 40)}"] must be { inputPerMillion, outputPerMillion }, numbers >= 0`);
        }
      }
    }
  }
  const resolved: ResolvedNumbers = {
    retry: {
      maxRetries: number(problems, retry, 'retry', 'maxRetries', 2, { integer: true }),
      baseDelayMs: number(problems, retry, 'retry', 'baseDelayMs', 200),
      maxDelayMs: number(problems, retry, 'retry', 'maxDelayMs', 10_000),
    },
    timeouts: {
      firstTokenMs: number(problems, timeouts, 'timeouts', 'firstTokenMs', 30_000, { min: 1, allowInfinity: true }),
      idleMs: number(problems, timeouts, 'timeouts', 'idleMs', 30_000, { min: 1, allowInfinity: true }),
      totalMs: number(problems, timeouts, 'timeouts', 'totalMs', 120_000, { min: 1, allowInfinity: true }),
      cacheMs: number(problems, timeouts, 'timeouts', 'cacheMs', 100, { min: 1 }),
    },
    limits: {
      maxPromptChars: number(problems, limits, 'limits', 'maxPromptChars', 100_000, { min: 1, integer: true }),
      maxMessages: number(problems, limits, 'limits', 'maxMessages', 1000, { min: 1, integer: true }),
      maxScopeChars: 256,
      maxConcurrent: number(problems, limits, 'limits', 'maxConcurrent', 64, { min: 1, integer: true, allowInfinity: true }),
      maxQueued: number(problems, limits, 'limits', 'maxQueued', 256, { integer: true, allowInfinity: true }),
      shedExpertsAbove: number(problems, limits, 'limits', 'shedExpertsAbove', Infinity, { integer: true, allowInfinity: true }),
    },
    breaker: {
      failureThreshold: number(problems, breaker, 'breaker', 'failureThreshold', 5, { min: 1, integer: true }),
      cooldownMs: number(problems, breaker, 'breaker', 'cooldownMs', 30_000),
    },
  };
  if (problems.length > 0) throw new TypeError(`DialoguePlugin: invalid options: ${problems.join('; ')}`);
  return resolved;
};
