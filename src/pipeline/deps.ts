/** What the operators need, resolved once per plugin from its options (see defaults.ts). */
import type { SchedulerLike } from 'rxjs';
import type { Clock } from '../operators/timed';
import type { ExecutionPlan } from '../plan';
import type { Coordinator, Expert, FusionStrategy, OutputGuard, ResponseCache, Router, Validator } from '../ports';
import type { BottleneckRules } from './metrics';
import type { RequestLimits } from './validate-request';
import type { CacheWriter } from './cache-writer';
import type { CircuitBreakers } from '../strategies/circuit-breaker';
import type { InjectionHeuristic } from '../strategies/injection-heuristics';
import type { ExecutionSlots } from './execution-slots';

/** Retry policy for expert calls. `random` is injectable for reproducible jitter. */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random: () => number;
}

/** Deadlines, in ms. Expert deadlines are per attempt. */
export interface Timeouts {
  readonly firstTokenMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
  readonly cacheMs: number;
}

/** Request limits. */
export interface Limits extends RequestLimits {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  /** Above this many requests in flight, the default router asks fewer experts. */
  readonly shedExpertsAbove: number;
}

/** What to do with prompts that match a prompt-injection heuristic. */
export interface InputGuard {
  readonly injection: 'flag' | 'block' | 'off';
  readonly heuristics: readonly InjectionHeuristic[];
}

/** Where a system error happened, for `onSystemError`. */
export interface SystemErrorContext {
  readonly requestId: string;
  readonly stage: string;
  readonly plan?: ExecutionPlan;
}

/** An expert with the hash of its params and prompt template, computed once. */
export interface RegisteredExpert { readonly expert: Expert; readonly paramsHash: string }

/** Everything the chain's operators depend on. */
export interface PipelineDeps {
  readonly clock: Clock;
  readonly scheduler: SchedulerLike;
  readonly experts: ReadonlyMap<string, RegisteredExpert>;
  readonly router: Router;
  readonly fusion: FusionStrategy;
  readonly cache: ResponseCache | undefined;
  readonly writer: CacheWriter;
  readonly guard: OutputGuard;
  readonly validator: Validator | undefined;
  readonly inputGuard: InputGuard;
  readonly retry: RetryPolicy;
  readonly timeouts: Timeouts;
  readonly limits: Limits;
  readonly bottlenecks: BottleneckRules;
  /** Never throws: a throwing hook is swallowed. */
  readonly reportSystemError: (error: unknown, context: SystemErrorContext) => void;
  /** Expert health, for the router, fed by every expert attempt. */
  readonly breakers: CircuitBreakers;
  /** Concurrency limit on executions (fan-outs). */
  readonly slots: ExecutionSlots;
  /** Requests in flight, for the router's load input. */
  readonly inFlight: () => number;
  /** Cross-replica coordination (scale-out); absent: this process alone. */
  readonly coordinator?: Coordinator;
}
