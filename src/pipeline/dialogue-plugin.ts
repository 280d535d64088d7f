/** The facade: `new DialoguePlugin(options)` and its request methods (DESIGN section 2). */
import { randomUUID } from 'node:crypto';
import { asyncScheduler, catchError, defer, filter, finalize, firstValueFrom, lastValueFrom, of, type Observable, type Subscription } from 'rxjs';
import { eachValueFrom } from 'rxjs-for-await';
import { CancelledError, OverloadedError, SystemError, ValidationError } from '../errors';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../events';
import type { Coordinator, ResponseCache } from '../ports';
import { CancelBus } from '../sources/cancel-sources';
import { memoryCache } from '../sources/memory-cache';
import { defaultRouter } from '../strategies/default-router';
import { builtInInjectionHeuristics } from '../strategies/injection-heuristics';
import { resolveFusion } from '../strategies/fusion-registry';
import { defaultGuard } from '../strategies/output-guard';
import { createCacheWriter, WRITE_TIMEOUT_FACTOR } from './cache-writer';
import { createExecutionSlots } from './execution-slots';
import { createCircuitBreakers, type BreakerState, type CircuitBreakers } from '../strategies/circuit-breaker';
import { hashTaskParams } from './cache-key';
import { buildChain, type RunJob } from './chain';
import type { PipelineDeps, RegisteredExpert, SystemErrorContext } from './deps';
import { userErrorEvent } from './error-events';
import { createJob } from './job';
import { defaultBottleneckRules } from './metrics';
import { MetricsRecorder } from './metrics-recorder';
import { resolveNumbers, type DialoguePluginOptions } from './options';

/** Per-request options of `process`, `stream` and `ask`. */
export interface ProcessOptions {
  /** Your id for the request (default: a random UUID); refused while one with the same id is in flight. */
  readonly requestId?: string;
  /** Aborting it cancels the request. */
  readonly signal?: AbortSignal;
  /** Tenant or user: one scope's cached answers are never served to another. */
  readonly scope?: string;
}

const optionsObject = (options: unknown): Partial<Record<keyof ProcessOptions, unknown>> =>
  typeof options === 'object' && options !== null ? options : {};

/** Orchestrates prompts through experts; see the README for the event contract. */
export class DialoguePlugin {
  private readonly deps: PipelineDeps;
  private readonly run: RunJob;
  private readonly cache: ResponseCache | undefined;
  private readonly inFlight = new Set<string>();
  private readonly bus = new CancelBus();
  private readonly breakers: CircuitBreakers;
  private readonly coordinator: Coordinator | undefined;
  private readonly remoteCancels: Subscription | undefined;
  private closing: Promise<void> | undefined;

  /** Checks every option (one TypeError listing all problems) and builds the chain once. */
  constructor(options: DialoguePluginOptions) {
    const numbers = resolveNumbers(options);
    const scheduler = options.scheduler ?? asyncScheduler;
    const experts = new Map<string, RegisteredExpert>(options.experts.map((expert) =>
      [expert.id, { expert, paramsHash: hashTaskParams(expert.params, expert.promptTemplate) }]));
    this.cache = options.cache === false ? undefined : options.cache ?? memoryCache();
    const hook = options.onSystemError;
    const clock = options.clock ?? scheduler;
    this.breakers = createCircuitBreakers([...experts.keys()], numbers.breaker, () => clock.now());
    this.deps = {
      clock,
      scheduler,
      experts,
      router: options.router ?? defaultRouter,
      fusion: resolveFusion(options.fusion),
      cache: this.cache,
      writer: createCacheWriter({ timeoutMs: numbers.timeouts.cacheMs * WRITE_TIMEOUT_FACTOR, scheduler }),
      guard: options.guard ?? defaultGuard(),
      validator: options.validator,
      inputGuard: {
        injection: options.inputGuard?.injection ?? 'flag',
        heuristics: options.inputGuard?.heuristics ?? builtInInjectionHeuristics,
      },
      retry: { ...numbers.retry, random: options.retry?.random ?? Math.random },
      timeouts: numbers.timeouts,
      limits: numbers.limits,
      bottlenecks: defaultBottleneckRules(numbers.timeouts.cacheMs),
      reportSystemError: (error: unknown, context: SystemErrorContext) => {
        try {
          hook?.(error, context);
        } catch {
          // An alerting hook that throws must not break the request.
        }
      },
      breakers: this.breakers,
      slots: createExecutionSlots(numbers.limits.maxConcurrent, numbers.limits.maxQueued),
      inFlight: () => this.inFlight.size,
      coordinator: options.coordination,
    };
    this.run = buildChain(this.deps);
    this.coordinator = options.coordination;
    // Cancel orders from other replicas: cancel here when running here, and say so.
    this.remoteCancels = this.coordinator?.cancelOrders().subscribe({
      next: (order) => order.reply(this.cancelHere(order.requestId)),
      error: (error: unknown) => this.deps.reportSystemError(error, { requestId: '', stage: 'coordination' }),
    });
  }

  /** The request as a cold Observable of events: work starts on subscribe; unsubscribing tears it all down. */
  process(prompt: string, options?: ProcessOptions): Observable<PipelineEvent> {
    return defer(() => {
      const opts = optionsObject(options);
      const requestId = typeof opts.requestId === 'string' ? opts.requestId : randomUUID();
      const startedAt = this.deps.clock.now();
      if (this.closing !== undefined) return this.refused(requestId, startedAt, 'plugin closed');
      if (this.inFlight.has(requestId)) return this.refused(requestId, startedAt, 'duplicate-request');
      const signal = opts.signal instanceof AbortSignal ? opts.signal : undefined;
      if (signal?.aborted === true) return this.refused(requestId, startedAt, 'aborted');
      this.inFlight.add(requestId);
      const job = createJob(requestId, { prompt, options }, startedAt, () => {
        this.inFlight.delete(requestId);
        // A probe that ended in neither a clean answer nor a retriable failure (cache hit, cancel, 400, ...) is freed.
        for (const expertId of job.probes) this.breakers.abandoned(expertId);
      });
      return this.run(job, this.bus.cancelsOf(requestId, signal)).pipe(finalize(job.release));
    });
  }

  /** The same events as an async iterable; leaving the `for await` loop early stops the request. */
  stream(prompt: string, options?: ProcessOptions): AsyncIterable<PipelineEvent> {
    return eachValueFrom(this.process(prompt, options));
  }

  /** The final text; rejects with ValidationError, CancelledError, OverloadedError or SystemError. */
  ask(prompt: string, options?: ProcessOptions): Promise<string> {
    return lastValueFrom(this.process(prompt, options).pipe(filter(isTerminal))).then(textOrThrow);
  }

  /**
   * Cancels a request in flight; true if it was running HERE. With `coordination`, the order
   * also goes to every other replica (fire and forget), so the one running it cancels it.
   */
  cancel(requestId: string): boolean {
    const here = this.cancelHere(requestId);
    this.broadcastCancel(requestId);
    return here;
  }

  /**
   * Cancels a request wherever it runs; resolves true if this or any other replica had it
   * (other replicas are asked with a bounded wait). Never rejects. Without `coordination`,
   * the same as `cancel`.
   */
  cancelAnywhere(requestId: string): Promise<boolean> {
    const here = this.cancelHere(requestId);
    const coordinator = this.coordinator;
    if (coordinator === undefined || this.closing !== undefined) return Promise.resolve(here);
    if (here) {
      this.broadcastCancel(requestId);
      return Promise.resolve(true);
    }
    const anywhere$ = coordinator.cancelAnywhere(requestId).pipe(catchError((error: unknown) => {
      this.deps.reportSystemError(error, { requestId, stage: 'coordination' });
      return of(false);
    }));
    return firstValueFrom(anywhere$, { defaultValue: false });
  }

  /** Cancels every request in flight; returns how many. */
  cancelAll(): number {
    const count = this.inFlight.size;
    if (count > 0) this.bus.publish({ reason: 'cancelled (all)' });
    return count;
  }

  /** Each expert's circuit breaker: 'closed' (healthy), 'open' (left out of plans) or 'half-open' (one probe allowed). */
  expertHealth(): Record<string, BreakerState> {
    return this.breakers.states();
  }

  /** Ids of the requests in flight. */
  active(): string[] {
    return [...this.inFlight];
  }

  /**
   * Cancels everything, refuses new requests, waits for pending cache writes, and closes the
   * cache and the coordinator (after it stops listening to other replicas' cancel orders).
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.remoteCancels?.unsubscribe();
      if (this.inFlight.size > 0) this.bus.publish({ reason: 'plugin closed' });
      this.closing = this.deps.writer.drain()
        .then(() => this.cache?.close())
        .finally(() => this.coordinator?.close());
    }
    return this.closing;
  }

  /** Cancels a request running in this process; true if it was. */
  private cancelHere(requestId: string): boolean {
    if (!this.inFlight.has(requestId)) return false;
    this.bus.publish({ requestId, reason: 'cancelled' });
    return true;
  }

  /** Tells the other replicas to cancel `requestId` (fire and forget; a failure is reported). */
  private broadcastCancel(requestId: string): void {
    if (this.coordinator === undefined || this.closing !== undefined) return;
    this.coordinator.broadcastCancel(requestId).subscribe({
      error: (error: unknown) => this.deps.reportSystemError(error, { requestId, stage: 'coordination' }),
    });
  }

  /** A request that never runs: start, metrics and its terminal event. */
  private refused(requestId: string, at: number, why: 'duplicate-request' | 'aborted' | 'plugin closed'): Observable<PipelineEvent> {
    const metrics = new MetricsRecorder(at).snapshot(at, this.deps.bottlenecks);
    const terminal: TerminalEvent = why === 'duplicate-request'
      ? userErrorEvent(requestId, 'duplicate-request', `A request with id "${requestId}" is already in flight`)
      : { type: 'cancelled', requestId, reason: why };
    return of<PipelineEvent[]>({ type: 'start', requestId, at }, { type: 'metrics', requestId, metrics }, terminal);
  }
}

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
