/** The facade: `new DialoguePlugin(options)` and its request methods (DESIGN section 2). */
import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import { asyncScheduler, catchError, filter, firstValueFrom, lastValueFrom, Observable, of, type SchedulerLike, type Subscription } from 'rxjs';
import { eachValueFrom } from 'rxjs-for-await';
import type { DialogueInput, GenerationParams } from '../conversation';
import { CancelledError, OverloadedError, SystemError, ValidationError } from '../errors';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../events';
import type { Coordinator, ExpertStatus, ResponseCache, SystemErrorContext } from '../ports';
import { createExecutionSlots } from '../operators/execution-slots';
import { defaultBottleneckRules } from '../strategies/bottlenecks';
import { createCircuitBreakers, type BreakerState, type CircuitBreakers } from '../strategies/circuit-breaker';
import { defaultRouter } from '../strategies/default-router';
import { userErrorEvent } from '../strategies/error-events';
import { resolveFusion } from '../strategies/fusion-registry';
import { defaultGuard } from '../strategies/output-guard';
import { redactedError } from '../strategies/redacted-error';
import { createRouteBuilder, registerExperts } from '../strategies/route-builder';
import { createCacheWriter, WRITE_TIMEOUT_FACTOR, type CacheWriter } from './cache-writer';
import { CancelRegistry } from './cancel-registry';
import { buildChain, type ChainOperators, type RunRequest } from './chain';
import { memoryCache } from './memory-cache';
import { resolveNumbers, type DialoguePluginOptions } from './options';
import { createRequestTracing, resolveTracer, type RequestTracing } from './request-tracing';

/** Per-request options of `process`, `stream` and `ask`. */
export interface ProcessOptions {
  /** Your id for the request (default: a random UUID); refused while one with the same id is in flight. */
  readonly requestId?: string;
  /** Aborting it cancels the request. */
  readonly signal?: AbortSignal;
  /** Tenant or user: one scope's cached answers are never served to another. */
  readonly scope?: string;
  /** Generation parameters for every expert (merged over each expert's own params); part of the cache key. */
  readonly params?: GenerationParams;
  /** Who the request runs for (the server passes its tenant): handed to `onSystemError` and put on the request span. */
  readonly tenant?: string;
  /** The parent of the request's span when tracing (e.g. `propagation.extract` of an incoming `traceparent`); default: the active context. */
  readonly traceContext?: Context;
}

/** The caller's request id, else a fresh UUID. */
const requestIdOf = (opts: { readonly requestId?: unknown }): string => (typeof opts.requestId === 'string' ? opts.requestId : randomUUID());

const optionsObject = (options: unknown): Partial<Record<keyof ProcessOptions, unknown>> =>
  typeof options === 'object' && options !== null ? options : {};

const EMPTY_METRICS = { total: 0, stages: {}, ttft: null, experts: {}, cacheHit: false, degraded: false, bottlenecks: [] };

/** A scheduler whose `now()` is `clock.now()`: one time parameter for the operators. */
const withClock = (scheduler: SchedulerLike, clock: { now(): number } | undefined): SchedulerLike =>
  (clock === undefined ? scheduler : { now: () => clock.now(), schedule: scheduler.schedule.bind(scheduler) as SchedulerLike['schedule'] });

/** Orchestrates prompts through experts; see the README for the event contract. */
export class DialoguePlugin {
  private readonly run: RunRequest;
  /**
   * The plugin's chain operators, configured with its options: pipe them yourself, with
   * operators of yours in between (README, "Compose your own chain"). Feed them a
   * `requestEvent(...)`; end with `finish`.
   */
  readonly operators: ChainOperators;
  private readonly time: SchedulerLike;
  private readonly cache: ResponseCache | undefined;
  private readonly writer: CacheWriter;
  private readonly requests = new CancelRegistry();
  private readonly breakers: CircuitBreakers;
  private readonly coordinator: Coordinator | undefined;
  private readonly remoteCancels: Subscription | undefined;
  private readonly reportSystemError: (error: unknown, context: SystemErrorContext) => void;
  /** Tenants of the requests in flight that named one (for `onSystemError`'s context). */
  private readonly tenants = new Map<string, string>();
  private readonly tracing: RequestTracing | undefined;
  private closing: Promise<void> | undefined;

  /** Checks every option (one TypeError listing all problems) and builds the chain once. */
  constructor(options: DialoguePluginOptions) {
    const numbers = resolveNumbers(options);
    const scheduler = options.scheduler ?? asyncScheduler;
    const time = withClock(scheduler, options.clock);
    this.time = time;
    const registered = registerExperts(options.experts);
    const fusion = resolveFusion(options.fusion);
    this.cache = options.cache === false ? undefined : options.cache ?? memoryCache();
    this.writer = createCacheWriter({ timeoutMs: numbers.timeouts.cacheMs * WRITE_TIMEOUT_FACTOR, scheduler });
    this.breakers = createCircuitBreakers([...registered.keys()], numbers.breaker, () => time.now());
    this.coordinator = options.coordination;
    const hook = options.onSystemError;
    const tracer = resolveTracer(options.tracing);
    // What the hook and the spans see is redacted with the built-in rules, whatever the output
    // guard: an upstream's error text may quote a key, a caller may use one as a request id (the
    // server's log redacts it too), and alerting and tracing backends keep what they are sent.
    const redactor = hook === undefined && tracer === undefined ? undefined : defaultGuard();
    const redact = (text: string): string => redactor?.apply(text) ?? text;
    this.tracing = tracer === undefined ? undefined : createRequestTracing(tracer, time, redact);
    this.reportSystemError = (error, context) => {
      if (hook === undefined) return;
      const tenant = context.tenant ?? this.tenants.get(context.requestId);
      const requestId = redact(context.requestId);
      const safe = requestId === context.requestId ? context : { ...context, requestId };
      try {
        hook(redactedError(error, redact), tenant === undefined ? safe : { ...safe, tenant });
      } catch {
        // An alerting hook that throws must not break the request.
      }
    };
    const experts = [...registered.values()].map(({ expert }) => expert);
    const breakers = this.breakers;
    const { limits } = numbers;
    const chain = buildChain({
      scheduler: time,
      limits,
      validator: options.validator,
      inputGuard: { injection: options.inputGuard?.injection ?? 'flag', heuristics: options.inputGuard?.heuristics },
      router: options.router ?? defaultRouter,
      buildRoute: createRouteBuilder(registered, fusion),
      experts: (): ExpertStatus[] => experts.map(({ id, model, version }) => ({ id, model, version, healthy: breakers.isAvailable(id) })),
      load: () => ({ inFlight: this.requests.size, maxConcurrent: limits.maxConcurrent, shedExpertsAbove: limits.shedExpertsAbove }),
      cache: this.cache,
      writer: this.writer,
      cacheTimeoutMs: numbers.timeouts.cacheMs,
      guard: options.guard ?? defaultGuard(),
      retry: { ...numbers.retry, random: options.retry?.random ?? Math.random },
      deadlines: numbers.timeouts,
      fusionTimeoutMs: numbers.timeouts.totalMs,
      breakers,
      slots: createExecutionSlots(limits.maxConcurrent, limits.maxQueued),
      bottlenecks: defaultBottleneckRules(numbers.timeouts.cacheMs),
      reportSystemError: this.reportSystemError,
      onEnd: (requestId) => this.requests.release(requestId),
      coordinator: options.coordination,
      ...(options.pricing === undefined ? {} : { pricing: options.pricing }),
      ...(this.tracing === undefined ? {} : { tracing: this.tracing }),
    });
    this.run = chain.run;
    this.operators = chain.operators;
    // Cancel orders from other replicas: cancel here when running here, and say so.
    this.remoteCancels = this.coordinator?.cancelOrders().subscribe({
      next: (order) => order.reply(this.requests.cancel(order.requestId, 'cancelled')),
      error: (error: unknown) => this.reportSystemError(error, { requestId: '', stage: 'coordination' }),
    });
  }

  /**
   * The request as a cold Observable of events: work starts on subscribe; unsubscribing tears it
   * all down. `input`: a prompt (one user message) or a conversation whose last message is the user's.
   */
  process(input: DialogueInput, options?: ProcessOptions): Observable<PipelineEvent> {
    const tracing = this.tracing;
    // Without tracing the request is the whole Observable: no wrapper per request.
    if (tracing === undefined) return this.request(undefined, input, options);
    return new Observable<PipelineEvent>((subscriber) => {
      const opts = optionsObject(options);
      const requestId = requestIdOf(opts);
      const tenant = typeof opts.tenant === 'string' ? opts.tenant : undefined;
      const parent = isContext(opts.traceContext) ? opts.traceContext : undefined;
      return tracing.traced(requestId, parent, tenant, this.request(requestId, input, options)).subscribe(subscriber);
    });
  }

  /** One request's events (refused, or run by the chain); registers it while it runs. `id`: its id, else the options' or a fresh one per subscription. */
  private request(id: string | undefined, input: DialogueInput, options: ProcessOptions | undefined): Observable<PipelineEvent> {
    return new Observable<PipelineEvent>((inner) => {
      const opts = optionsObject(options);
      const requestId = id ?? requestIdOf(opts);
      const at = this.time.now();
      const signal = opts.signal instanceof AbortSignal ? opts.signal : undefined;
      const refusal = this.closing !== undefined ? 'plugin closed'
        : this.requests.has(requestId) ? 'duplicate-request'
          : signal?.aborted === true ? 'aborted' : undefined;
      if (refusal !== undefined) return this.refused(requestId, at, refusal).subscribe(inner);
      const cancel$ = this.requests.enter(requestId, signal);
      inner.add(cancel$); // the request ended: drop it from the registry
      const tenant = opts.tenant;
      if (typeof tenant === 'string') {
        this.tenants.set(requestId, tenant);
        inner.add(() => this.tenants.delete(requestId));
      }
      return this.run({ type: 'request', requestId, at, input, options }, cancel$).subscribe(inner);
    });
  }

  /** The same events as an async iterable; leaving the `for await` loop early stops the request. */
  stream(input: DialogueInput, options?: ProcessOptions): AsyncIterable<PipelineEvent> {
    return eachValueFrom(this.process(input, options));
  }

  /** The final text; rejects with ValidationError, CancelledError, OverloadedError or SystemError. */
  ask(input: DialogueInput, options?: ProcessOptions): Promise<string> {
    return lastValueFrom(this.process(input, options).pipe(filter(isTerminal))).then(textOrThrow);
  }

  /**
   * Cancels a request in flight; true if it was running HERE. With `coordination`, the order
   * also goes to every other replica (fire and forget), so the one running it cancels it.
   */
  cancel(requestId: string): boolean {
    const here = this.requests.cancel(requestId, 'cancelled');
    this.broadcastCancel(requestId);
    return here;
  }

  /**
   * Cancels a request wherever it runs; resolves true if this or any other replica had it
   * (other replicas are asked with a bounded wait). Never rejects. Without `coordination`,
   * the same as `cancel`.
   */
  cancelAnywhere(requestId: string): Promise<boolean> {
    const here = this.requests.cancel(requestId, 'cancelled');
    const coordinator = this.coordinator;
    if (coordinator === undefined || this.closing !== undefined) return Promise.resolve(here);
    if (here) {
      this.broadcastCancel(requestId);
      return Promise.resolve(true);
    }
    const anywhere$ = coordinator.cancelAnywhere(requestId).pipe(catchError((error: unknown) => {
      this.reportSystemError(error, { requestId, stage: 'coordination' });
      return of(false);
    }));
    return firstValueFrom(anywhere$, { defaultValue: false });
  }

  /** Cancels every request in flight; returns how many. */
  cancelAll(): number {
    return this.requests.cancelAll('cancelled (all)');
  }

  /** Each expert's circuit breaker: 'closed' (healthy), 'open' (left out of plans) or 'half-open' (one probe allowed). */
  expertHealth(): Record<string, BreakerState> {
    return this.breakers.states();
  }

  /** Ids of the requests in flight. */
  active(): string[] {
    return this.requests.ids();
  }

  /**
   * Cancels everything, refuses new requests, waits for pending cache writes, and closes the
   * cache and the coordinator (after it stops listening to other replicas' cancel orders).
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.remoteCancels?.unsubscribe();
      this.requests.cancelAll('plugin closed');
      // Pending writes first (they need the cache), then the cache and the coordinator at once,
      // so a slow store bounds close() by its own close deadline, not the sum of both.
      this.closing = this.writer.drain()
        .then(() => Promise.allSettled([this.cache?.close(), this.coordinator?.close()]))
        .then(([cache]) => {
          if (cache.status === 'rejected') throw cache.reason;
        });
    }
    return this.closing;
  }

  /** Tells the other replicas to cancel `requestId` (fire and forget; a failure is reported). */
  private broadcastCancel(requestId: string): void {
    if (this.coordinator === undefined || this.closing !== undefined) return;
    this.coordinator.broadcastCancel(requestId).subscribe({
      error: (error: unknown) => this.reportSystemError(error, { requestId, stage: 'coordination' }),
    });
  }

  /** A request that never runs: start, metrics and its terminal event. */
  private refused(requestId: string, at: number, why: 'duplicate-request' | 'aborted' | 'plugin closed'): Observable<PipelineEvent> {
    const terminal: TerminalEvent = why === 'duplicate-request'
      ? userErrorEvent(requestId, 'duplicate-request', `A request with id "${requestId}" is already in flight`)
      : { type: 'cancelled', requestId, reason: why };
    return of<PipelineEvent[]>({ type: 'start', requestId, at }, { type: 'metrics', requestId, metrics: { ...EMPTY_METRICS, stages: {}, experts: {}, bottlenecks: [] } }, terminal);
  }
}

const isContext = (value: unknown): value is Context =>
  typeof value === 'object' && value !== null && typeof (value as { getValue?: unknown }).getValue === 'function';

const textOrThrow = (event: TerminalEvent): string => {
  switch (event.type) {
    case 'complete':
      return event.text;
    case 'cancelled':
      throw new CancelledError(event.reason);
    case 'error':
      switch (event.error.kind) {
        case 'validation':
        case 'duplicate-request':
          throw new ValidationError(event.error.issues ?? [event.error.message]);
        case 'overloaded':
          throw new OverloadedError(event.error.message);
        default:
          throw new SystemError(event.error.kind, event.error.message);
      }
  }
};
