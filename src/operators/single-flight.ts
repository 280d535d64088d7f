/**
 * `singleFlight(execution, flights)`: on the `execute` hand-off, runs `execution` (fan-out and
 * fusion) once per cache key: identical requests in flight at the same time (same scope,
 * prompt, plan and versions) join the running {@link Flight} instead of starting their own.
 * Each gets the full event stream with its own requestId and can cancel alone; the experts
 * stop when the last one leaves. Other events pass through.
 *
 *     request A:  x----------       x = execute; tokens a, answer n
 *     request B:  ---x-------       B joins: replays what A saw, then live
 *     flight:     -a--a--(n|)       one execution, experts started once
 *
 * With `coordinate` (a plugin with `coordination`), the flight's work is wrapped by it, so
 * identical requests on other replicas share the execution too (see coordinated-execution.ts):
 * one local flight per key and replica, one execution per key in the cluster.
 */
import { of, type Observable, type OperatorFunction } from 'rxjs';
import { Flight } from '../pipeline/flight';
import type { Job } from '../pipeline/job';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import { handle } from './handle';

/** Flights in progress, by cache key. */
export type FlightRegistry = Map<string, Flight>;

/** Wraps a flight's work (key, the flight's first job, the local work) in cross-replica coordination. */
export type Coordinate = (key: string, job: Job, work$: Observable<StageEvent>) => Observable<StageEvent>;

/** Shares `execution` between identical requests in flight (across replicas too, with `coordinate`). */
export const singleFlight = (execution: OperatorFunction<StageEvent, StageEvent>, flights: FlightRegistry, coordinate?: Coordinate): OperatorFunction<StageEvent, StageEvent> =>
  handle('execute', ({ job }) => {
    const key = job.cacheKey;
    if (key === undefined) return of(handoff('execute', job)).pipe(execution);
    let flight = flights.get(key);
    if (flight === undefined || !flight.joinable()) {
      const work$ = of(handoff('execute', job)).pipe(execution);
      const started = new Flight(job, coordinate === undefined ? work$ : coordinate(key, job, work$), () => {
        if (flights.get(key) === started) flights.delete(key);
      });
      flights.set(key, started);
      flight = started;
    }
    return flight.join(job);
  });
