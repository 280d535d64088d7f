/**
 * `plan(deps)`: on the `validated` hand-off, asks the router for a plan given the prompt and
 * the system state (expert health, load), emits the `plan` event and the `planned` hand-off.
 * No expert available: an `error` event of kind `no-experts`. A router that throws, errors, or
 * names an unknown expert: an `error` event of kind `system`. Other events pass through.
 *
 *     source:  v|       sync router:  (pP|)     p = plan event, P = planned
 */
import { EMPTY, catchError, concat, defer, ignoreElements, isObservable, take, tap, throwIfEmpty, type Observable, type OperatorFunction } from 'rxjs';
import type { PipelineDeps } from '../pipeline/deps';
import { systemErrorEvent } from '../pipeline/error-events';
import type { Job, Route } from '../pipeline/job';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import type { RouteDecision, RouteInput } from '../ports';
import { handle } from './handle';
import { timed, timedSync } from './timed';

/** What planning needs; `buildRoute` memoizes plans per decision. */
export type PlanDeps = Pick<PipelineDeps, 'clock' | 'router' | 'experts' | 'breakers' | 'inFlight' | 'limits' | 'reportSystemError'> & {
  readonly buildRoute: (decision: RouteDecision) => Route;
};

const routeInput = (job: Job, deps: PlanDeps): RouteInput => ({
  requestId: job.requestId,
  prompt: job.request?.prompt ?? '',
  scope: job.request?.scope,
  experts: [...deps.experts.values()].map(({ expert }) => ({
    id: expert.id, model: expert.model, version: expert.version, healthy: deps.breakers.isAvailable(expert.id),
  })),
  load: { inFlight: deps.inFlight(), maxConcurrent: deps.limits.maxConcurrent, shedExpertsAbove: deps.limits.shedExpertsAbove },
});

const planned = (job: Job, decision: RouteDecision, deps: PlanDeps): StageEvent[] => {
  if (decision.expertIds.length === 0) {
    return [systemErrorEvent('no-experts', new Error('no expert is available (all unhealthy or none chosen)'),
      { requestId: job.requestId, stage: 'routing' }, deps.reportSystemError)];
  }
  const route = deps.buildRoute(decision);
  job.route = route;
  for (const expert of route.experts) if (deps.breakers.admit(expert.id)) job.probes.push(expert.id);
  const shown = job.injection === undefined ? route.plan : { ...route.plan, metadata: { injection: job.injection } };
  return [{ type: 'plan', requestId: job.requestId, plan: shown }, handoff('planned', job)];
};

const routingFailed = (job: Job, error: unknown, deps: PlanDeps): StageEvent[] =>
  [systemErrorEvent('system', error, { requestId: job.requestId, stage: 'routing' }, deps.reportSystemError)];

/** Plans the request on `validated`. */
export const plan = (deps: PlanDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('validated', ({ job }, emit): Observable<StageEvent> | void => {
    const timing = { clock: deps.clock, record: job.metrics.stage };
    let decision: RouteDecision | Observable<RouteDecision>;
    try {
      decision = timedSync('routing', timing, () => deps.router.route(routeInput(job, deps)));
      if (!isObservable(decision)) {
        for (const event of planned(job, decision, deps)) emit(event);
        return;
      }
    } catch (error) {
      for (const event of routingFailed(job, error, deps)) emit(event);
      return;
    }
    const decision$ = decision;
    let outcome: StageEvent[] = [];
    return concat(
      defer(() => decision$).pipe(
        take(1),
        throwIfEmpty(() => new Error('router completed without a decision')),
        timed('routing', timing),
        tap((chosen) => { outcome = planned(job, chosen, deps); }),
        catchError((error: unknown) => {
          outcome = routingFailed(job, error, deps);
          return EMPTY;
        }),
        ignoreElements(),
      ),
      defer(() => outcome),
    );
  });
