/**
 * `plan(deps, scheduler)`: on the `validated` hand-off, asks the router for a plan given the
 * prompt and the system state (expert health, load), then emits the routing `timing`, the
 * `plan` event and the `planned` hand-off. No expert chosen: an `error` event of kind
 * `no-experts`. A router that throws, errors, completes without a decision, or names an unknown
 * expert: an `error` event of kind `system` (the error goes to `reportSystemError`). Other events
 * pass through.
 *
 *     source:  v|       sync router:   (tpP|)       t = timing, p = plan event, P = planned
 *     source:  v|       router 3 ms:   ---(tpP|)
 */
import { asyncScheduler, isObservable, take, throwIfEmpty, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChainEvent, ValidatedEvent } from '../chain-events';
import type { Route } from '../plan';
import type { ExpertStatus, RouteDecision, RouteInput, Router, SystemErrorReporter } from '../ports';
import { systemErrorEvent } from '../strategies/error-events';
import type { RouteBuilder } from '../strategies/route-builder';
import { staged } from './staged';

/** What planning needs. */
export interface PlanDeps {
  readonly router: Router;
  /** Turns a decision into a route (plan, experts, fusion); throws on an unknown expert id. */
  readonly buildRoute: RouteBuilder;
  /** Every configured expert with its current health. */
  readonly experts: () => readonly ExpertStatus[];
  /** The load the router sees. Default: nothing in flight, no limits. */
  readonly load?: () => RouteInput['load'];
  readonly reportSystemError?: SystemErrorReporter;
}

const NO_LOAD: RouteInput['load'] = { inFlight: 0, maxConcurrent: Infinity, shedExpertsAbove: Infinity };

type Next = (event: ChainEvent) => void;

/** What the planning steps share: built once per operator, not per request. */
interface Planning { readonly deps: PlanDeps; readonly scheduler: SchedulerLike; readonly report: SystemErrorReporter }

const routingFailed = (next: Next, { scheduler, report }: Planning, event: ValidatedEvent, at: number, error: unknown): void => {
  next({ type: 'timing', requestId: event.requestId, stage: 'routing', at, ms: scheduler.now() - at });
  next(systemErrorEvent('system', error, { requestId: event.requestId, stage: 'routing' }, report));
};

const decided = (next: Next, planning: Planning, event: ValidatedEvent, at: number, decision: RouteDecision): void => {
  const { requestId, request } = event;
  const { deps, scheduler, report } = planning;
  let route: Route | undefined;
  try {
    route = decision.expertIds.length === 0 ? undefined : deps.buildRoute(decision);
  } catch (error) {
    routingFailed(next, planning, event, at, error);
    return;
  }
  next({ type: 'timing', requestId, stage: 'routing', at, ms: scheduler.now() - at });
  if (route === undefined) {
    next(systemErrorEvent('no-experts', new Error('no expert is available (all unhealthy or none chosen)'), { requestId, stage: 'routing' }, report));
    return;
  }
  const shown = event.injection === undefined ? route.plan : { ...route.plan, metadata: { injection: event.injection } };
  next({ type: 'plan', requestId, plan: shown });
  next({ type: 'planned', requestId, request, route });
};

/** Plans the request on `validated`. */
export const plan = (deps: PlanDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> => {
  const planning: Planning = { deps, scheduler, report: deps.reportSystemError ?? (() => undefined) };
  return staged((context) => (event) => {
    const { next } = context;
    if (event.type !== 'validated') {
      next(event);
      return;
    }
    const at = scheduler.now();
    let decision: RouteDecision | Observable<RouteDecision>;
    try {
      decision = deps.router.route({
        requestId: event.requestId, prompt: event.request.prompt, messages: event.request.messages, scope: event.request.scope,
        experts: deps.experts(), load: deps.load?.() ?? NO_LOAD,
      });
    } catch (error) {
      routingFailed(next, planning, event, at, error);
      return;
    }
    if (!isObservable(decision)) {
      decided(next, planning, event, at, decision);
      return;
    }
    let settled = false;
    context.run(decision.pipe(take(1), throwIfEmpty(() => new Error('router completed without a decision'))), {
      next: (chosen) => {
        settled = true;
        decided(next, planning, event, at, chosen);
      },
      error: (error) => {
        settled = true;
        routingFailed(next, planning, event, at, error);
      },
    });
    // Still routing: say so, so a cancel meanwhile still counts the routing time.
    if (!settled) next({ type: 'timing', requestId: event.requestId, stage: 'routing', at });
  }, { ignoresTokens: true });
};
