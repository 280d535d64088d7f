/**
 * `cacheLookup(deps, scheduler)`: on the `planned` hand-off, computes the plan-aware cache key
 * and looks it up.
 * - hit: the cache `timing`, `cache` (hit), the answer as one `cache` token, and the `answer`
 *   hand-off: fan-out and fusion never run.
 * - miss: the cache `timing`, `cache` (miss) and the `execute` hand-off (carrying the key).
 * - no cache: just `execute` (no `cache` event); the key is still computed, for single flight.
 * A store that errors, is slower than `timeoutMs`, or returns a malformed record counts as a
 * miss (its `timing` says why, in `fault`; the error goes to `reportSystemError`); a malformed
 * or unparsable record (CacheError 'decode') is deleted through `writer` when the store can.
 * Other events pass through.
 *
 *     source:  P|         hit:  --(tcoa|)     miss:  --(tcx|)     (2 ms lookup)
 */
import * as E from 'fp-ts/Either';
import { EMPTY, asyncScheduler, defer, timer, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { ChainEvent, PlannedEvent } from '../chain-events';
import { NO_USAGE } from '../conversation';
import { CacheError } from '../errors';
import type { CacheFault } from '../metrics';
import type { CacheWriter, CachedAnswer, ResponseCache, SystemErrorReporter } from '../ports';
import { cacheKey } from '../strategies/cache-key';
import { decodeCachedAnswer } from '../strategies/cached-answer';
import { staged } from './staged';

/** What the lookup needs. */
export interface CacheLookupDeps {
  /** Absent: no lookup (the key is still computed). */
  readonly cache?: ResponseCache;
  /** The output guard's version: part of the key. */
  readonly guardVersion: string;
  /** Lookup deadline in ms. Default 100. */
  readonly timeoutMs?: number;
  /** Runs deletes of corrupt records detached from the request; absent: corrupt records stay. */
  readonly writer?: CacheWriter;
  readonly reportSystemError?: SystemErrorReporter;
}

/** The errors of lookups that missed their deadline (to tell a timeout fault from an error). */
const LOOKUP_TIMEOUTS = new WeakSet<CacheError>();

const lookupTimeout = (ms: number): CacheError => {
  const error = new CacheError('get', `cache lookup took longer than ${ms}ms`);
  LOOKUP_TIMEOUTS.add(error);
  return error;
};

/** What the lookup's steps share: built once per operator, not per request. */
interface Lookup {
  readonly deps: CacheLookupDeps;
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly report: SystemErrorReporter;
}

type Next = (event: ChainEvent) => void;

const hit = (next: Next, { scheduler }: Lookup, event: PlannedEvent, key: string, at: number, answer: CachedAnswer): void => {
  const { requestId } = event;
  next({ type: 'timing', requestId, stage: 'cache', at, ms: scheduler.now() - at });
  next({ type: 'cache', requestId, hit: true, key });
  next({ type: 'token', requestId, source: 'cache', text: answer.text });
  next({ type: 'answer', requestId, text: answer.text, fromCache: true, degraded: false, cacheKey: key, planId: event.route.plan.id, usage: NO_USAGE });
};

const miss = (next: Next, { scheduler }: Lookup, event: PlannedEvent, key: string, at: number, fault?: CacheFault): void => {
  const { requestId, request, route } = event;
  const ms = scheduler.now() - at;
  next(fault === undefined ? { type: 'timing', requestId, stage: 'cache', at, ms } : { type: 'timing', requestId, stage: 'cache', at, ms, fault });
  next({ type: 'cache', requestId, hit: false, key });
  next({ type: 'execute', requestId, request, route, cacheKey: key });
};

/** What the store returned: a miss, a hit, or a malformed record. */
const found = (next: Next, lookup: Lookup, event: PlannedEvent, key: string, at: number, stored: unknown): void => {
  if (stored === undefined || stored === null) {
    miss(next, lookup, event, key, at);
    return;
  }
  const decoded = decodeCachedAnswer(stored);
  if (E.isRight(decoded)) hit(next, lookup, event, key, at, decoded.right);
  else failed(next, lookup, event, key, at, new CacheError('decode', `malformed cache record: ${decoded.left.join('; ')}`));
};

const failed = (next: Next, lookup: Lookup, event: PlannedEvent, key: string, at: number, error: unknown): void => {
  const { cache, writer } = lookup.deps;
  const failure = CacheError.isInstance(error) ? error : new CacheError('get', 'cache lookup failed', { cause: error });
  const context = { requestId: event.requestId, stage: 'cache', plan: event.route.plan };
  lookup.report(failure, context);
  if (failure.operation === 'decode' && cache?.delete !== undefined && writer !== undefined) {
    // defer: a delete() that throws on call is a failed delete, not a failed request.
    writer.run(key, defer(() => cache.delete?.(key) ?? EMPTY), (deleteError) => lookup.report(deleteError, context));
  }
  miss(next, lookup, event, key, at, failure.operation === 'decode' ? 'corrupt' : LOOKUP_TIMEOUTS.has(failure) ? 'timeout' : 'error');
};

/** Looks the answer up on `planned`. */
export const cacheLookup = (deps: CacheLookupDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> => {
  const lookup: Lookup = { deps, scheduler, timeoutMs: deps.timeoutMs ?? 100, report: deps.reportSystemError ?? (() => undefined) };
  const { cache, guardVersion } = deps;
  return staged((context) => (event) => {
    const { next } = context;
    if (event.type !== 'planned') {
      next(event);
      return;
    }
    const { request, route } = event;
    const key = cacheKey(request, route.keyPlan, { fusion: route.fusion.version, guard: guardVersion });
    if (cache === undefined) {
      next({ type: 'execute', requestId: event.requestId, request, route, cacheKey: key });
      return;
    }
    const at = scheduler.now();
    const { timeoutMs } = lookup;
    let settled = false;
    let deadline: Subscription | undefined;
    /** The first outcome wins; it ends the deadline. */
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      deadline?.unsubscribe();
      return true;
    };
    let looking: Subscription | undefined;
    // defer: a get() that throws on call is a failed lookup, not a failed request.
    looking = context.run(defer(() => cache.get(key)), {
      next: (stored) => {
        if (!settle()) return;
        found(next, lookup, event, key, at, stored);
        looking?.unsubscribe(); // the first value is the answer (after it is handed on: the request stays open meanwhile)
      },
      error: (error) => {
        if (settle()) failed(next, lookup, event, key, at, error);
      },
      complete: () => {
        if (settle()) miss(next, lookup, event, key, at); // nothing stored
      },
    });
    if (settled) {
      looking.unsubscribe(); // a synchronous store (the memory cache): no deadline armed at all
      return;
    }
    // An asynchronous store: its deadline, and a timing saying the lookup is running (a cancel meanwhile still counts it).
    deadline = context.run(timer(timeoutMs, scheduler), {
      next: () => {
        if (!settle()) return;
        failed(next, lookup, event, key, at, lookupTimeout(timeoutMs));
        looking?.unsubscribe();
      },
    });
    next({ type: 'timing', requestId: event.requestId, stage: 'cache', at });
  }, { ignoresTokens: true });
};
