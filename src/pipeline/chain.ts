/**
 * The one Observable chain of a plugin, composed once from the public operators in named
 * segments:
 *
 *     request -> validate -> plan -> cacheLookup                          (preflight)
 *             -> singleFlight(fanOutExperts -> fuse) -> guard -> storeAnswer   (execution; shared by
 *                                                                         identical requests, across
 *                                                                         replicas with a coordinator)
 *             -> untilCancelled -> finish                                  (envelope, per request)
 *
 * Every operator here is staged or fuses with staged ones, so a request runs as ONE
 * subscription; per request only that subscription is built. The chain holds no per-request state: each
 * request's data travels on its events.
 */
import { of, pipe, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChainEvent, RequestEvent, TimingEvent } from '../chain-events';
import type { PipelineEvent } from '../events';
import type { BottleneckRules, Pricing } from '../metrics';
import type { AttemptTracer, CacheWriter, Coordinator, OutputGuard, ResponseCache, Router, SystemErrorReporter, Validator, ExpertStatus, RouteInput } from '../ports';
import { cacheLookup } from '../operators/cache-lookup';
import type { ExpertDeadlines } from '../operators/expert-deadlines';
import type { RetryPolicy } from '../operators/expert-run';
import type { ExecutionSlots } from '../operators/execution-slots';
import { fanOutExperts } from '../operators/fan-out-experts';
import { finish } from '../operators/finish';
import { fuse } from '../operators/fuse';
import { guard } from '../operators/guard';
import { plan } from '../operators/plan';
import { singleFlight, type Coordinate } from '../operators/single-flight';
import { fusedObservable, stagesOf } from '../operators/staged';
import { storeAnswer } from '../operators/store-answer';
import { untilCancelled } from '../operators/until-cancelled';
import { validate, type InputGuard } from '../operators/validate';
import type { CircuitBreakers } from '../strategies/circuit-breaker';
import type { RouteBuilder } from '../strategies/route-builder';
import type { RequestLimits } from '../strategies/validate-request';
import { coordinatedExecution } from './coordinated-execution';

/** Everything the chain's operators need, resolved once per plugin. */
export interface ChainDeps {
  readonly scheduler: SchedulerLike;
  readonly limits: RequestLimits;
  readonly validator?: Validator;
  readonly inputGuard: InputGuard;
  readonly router: Router;
  readonly buildRoute: RouteBuilder;
  readonly experts: () => readonly ExpertStatus[];
  readonly load: () => RouteInput['load'];
  readonly cache?: ResponseCache;
  readonly writer: CacheWriter;
  readonly cacheTimeoutMs: number;
  readonly guard: OutputGuard;
  readonly retry: RetryPolicy;
  readonly deadlines: ExpertDeadlines;
  readonly fusionTimeoutMs: number;
  readonly breakers: CircuitBreakers;
  readonly slots: ExecutionSlots;
  readonly bottlenecks: BottleneckRules;
  readonly reportSystemError: SystemErrorReporter;
  readonly onEnd: (requestId: string) => void;
  readonly coordinator?: Coordinator;
  readonly pricing?: Pricing;
  /** Tracing hooks (the plugin's `tracing` option); absent: nothing traced. */
  readonly tracing?: { readonly onTiming: (event: TimingEvent) => void; readonly traceAttempt: AttemptTracer };
}

/** Runs one request to its terminal event; `cancel$` emits a reason to cancel it. */
export type RunRequest = (request: RequestEvent, cancel$: Observable<string>) => Observable<PipelineEvent>;

/** The chain's operators, configured: each can be piped on its own, in this order or with operators of yours in between. */
export interface ChainOperators {
  readonly validate: OperatorFunction<ChainEvent, ChainEvent>;
  readonly plan: OperatorFunction<ChainEvent, ChainEvent>;
  readonly cacheLookup: OperatorFunction<ChainEvent, ChainEvent>;
  readonly fanOutExperts: OperatorFunction<ChainEvent, ChainEvent>;
  readonly fuse: OperatorFunction<ChainEvent, ChainEvent>;
  /** `singleFlight(pipe(fanOutExperts, fuse))`: the execution shared by identical requests in flight. */
  readonly execution: OperatorFunction<ChainEvent, ChainEvent>;
  readonly guard: OperatorFunction<ChainEvent, ChainEvent>;
  readonly storeAnswer: OperatorFunction<ChainEvent, ChainEvent>;
  readonly finish: OperatorFunction<ChainEvent, PipelineEvent>;
}

/** A built chain: its configured operators, and `run` (the whole chain for one request). */
export interface Chain { readonly operators: ChainOperators; readonly run: RunRequest }

/** Builds the chain once; `run` runs one request per call. */
export const buildChain = (deps: ChainDeps): Chain => {
  const { scheduler, reportSystemError, coordinator } = deps;
  const coordinate: Coordinate | undefined = coordinator === undefined
    ? undefined
    : (key, execute, work$) => coordinatedExecution(key, execute, work$, { clock: scheduler, reportSystemError, coordinator });
  const { tracing } = deps;
  const fanOutOperator = fanOutExperts({
    retry: deps.retry, deadlines: deps.deadlines, breakers: deps.breakers, slots: deps.slots, reportSystemError,
    ...(tracing === undefined ? {} : { traceAttempt: tracing.traceAttempt }),
  }, scheduler);
  const fuseOperator = fuse({ timeoutMs: deps.fusionTimeoutMs, reportSystemError }, scheduler);
  const operators: ChainOperators = {
    validate: validate({ limits: deps.limits, validator: deps.validator, inputGuard: deps.inputGuard }, scheduler),
    plan: plan({ router: deps.router, buildRoute: deps.buildRoute, experts: deps.experts, load: deps.load, reportSystemError }, scheduler),
    cacheLookup: cacheLookup({ cache: deps.cache, guardVersion: deps.guard.version, timeoutMs: deps.cacheTimeoutMs, writer: deps.writer, reportSystemError }, scheduler),
    fanOutExperts: fanOutOperator,
    fuse: fuseOperator,
    execution: singleFlight(pipe(fanOutOperator, fuseOperator), { coordinate }),
    guard: guard({ guard: deps.guard }, scheduler),
    storeAnswer: storeAnswer({ cache: deps.cache, writer: deps.writer, reportSystemError }, scheduler),
    finish: finish({ bottlenecks: deps.bottlenecks, reportSystemError, onEnd: deps.onEnd, ...(deps.pricing === undefined ? {} : { pricing: deps.pricing }),
      ...(tracing === undefined ? {} : { onTiming: tracing.onTiming }) }, scheduler),
  };
  const preflight = pipe(operators.validate, operators.plan, operators.cacheLookup);
  const execution = pipe(operators.execution, operators.guard, operators.storeAnswer);
  const stages = stagesOf(pipe(preflight, execution));
  if (stages === undefined) throw new Error('buildChain: the preflight and execution operators must all be staged');
  // untilCancelled and finish fuse with the staged operators: one subscription per request.
  const run: RunRequest = (request, cancel$) =>
    operators.finish(untilCancelled(cancel$, request.requestId)(fusedObservable(of<ChainEvent>(request), stages)));
  return { operators, run };
};
