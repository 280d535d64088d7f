/** The plan a router produces for one request, as shown in the `plan` event. */
import type { Expert, FusionStrategy } from './ports';

/** One expert call in a plan. */
export interface PlanTask { readonly expertId: string; readonly model: string; readonly version: string }

/** Which experts to ask, in which order, and how to fuse their answers. */
export interface ExecutionPlan {
  /** Short hash of the plan's shape (tasks and fusion); stored with cached answers. */
  readonly id: string;
  /** What the router took the prompt to be (for example 'chat', 'code'). */
  readonly intent: string;
  readonly tasks: readonly PlanTask[];
  readonly fusion: { readonly id: string; readonly version: string };
  /** Present only when something was flagged: the prompt-injection heuristics the prompt matched. */
  readonly metadata?: { readonly injection?: readonly string[] };
}

/**
 * A plan as the cache key sees it: tasks may carry their params (or a precomputed hash of params
 * and prompt template), and the fusion says whether it is order-sensitive (default: true, the
 * safe choice, since it never lets two differently ordered plans share an answer).
 */
export interface KeyPlan {
  readonly tasks: readonly (PlanTask & {
    readonly params?: Readonly<Record<string, unknown>>;
    readonly promptTemplate?: string;
    readonly paramsHash?: string;
  })[];
  readonly fusion: { readonly id: string; readonly version: string; readonly orderSensitive?: boolean };
}

/**
 * A plan with what running it needs: the experts to call, the fusion strategy, and the plan as
 * the cache key sees it. Built by the `plan` operator from a router's decision.
 */
export interface Route {
  readonly plan: ExecutionPlan;
  readonly keyPlan: KeyPlan;
  readonly experts: readonly Expert[];
  readonly fusion: FusionStrategy;
}
