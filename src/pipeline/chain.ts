/**
 * The one Observable chain, composed once per plugin from named segments:
 *
 *     request -> validate -> plan -> cacheLookup            (preflight)
 *             -> singleFlight(fanOutExperts -> fuse)        (execution, shared by identical requests,
 *                                                            across replicas with a coordinator)
 *             -> guard -> storeAnswer
 *             -> untilCancelled -> finish                   (envelope, per request)
 *
 * Per-request state lives in the job the `request` hand-off carries.
 */
import { of, pipe, type Observable } from 'rxjs';
import type { PipelineEvent } from '../events';
import { cacheLookup } from '../operators/cache-lookup';
import { fanOutExperts } from '../operators/fan-out-experts';
import { finish } from '../operators/finish';
import { fuse } from '../operators/fuse';
import { guard } from '../operators/guard';
import { plan } from '../operators/plan';
import { singleFlight, type Coordinate, type FlightRegistry } from '../operators/single-flight';
import { storeAnswer } from '../operators/store-answer';
import { untilCancelled } from '../operators/until-cancelled';
import { validate } from '../operators/validate';
import { coordinatedExecution } from './coordinated-execution';
import type { PipelineDeps } from './deps';
import type { Job } from './job';
import { createRouteBuilder } from './route-builder';
import { handoff } from './stage-events';

/** Runs one job to its terminal event; `cancel$` emits a reason to cancel it. */
export type RunJob = (job: Job, cancel$: Observable<string>) => Observable<PipelineEvent>;

/** Builds the chain once; the result runs one job per call. */
export const buildChain = (deps: PipelineDeps): RunJob => {
  const buildRoute = createRouteBuilder(deps.experts, deps.fusion);
  const preflight = pipe(validate(deps), plan({ ...deps, buildRoute }), cacheLookup(deps));
  const flights: FlightRegistry = new Map();
  const { coordinator } = deps;
  const coordinate: Coordinate | undefined = coordinator === undefined
    ? undefined
    : (key, job, work$) => coordinatedExecution(key, job, work$, { ...deps, coordinator });
  const execution = pipe(singleFlight(pipe(fanOutExperts(deps), fuse(deps)), flights, coordinate), guard(deps), storeAnswer(deps));
  return (job, cancel$) => of(handoff('request', job)).pipe(
    preflight,
    execution,
    untilCancelled(cancel$, job.requestId),
    finish(job, deps),
  );
};
