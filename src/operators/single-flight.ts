/**
 * `singleFlight(execution, options)`: on the `execute` hand-off, runs `execution` (fan-out and
 * fusion) once per cache key: identical requests in flight at the same time (same scope,
 * prompt, plan and versions) join the running {@link Flight} instead of starting their own.
 * Each gets the full event stream with its own requestId and can cancel alone; the experts
 * stop when the last one leaves. An `execute` without a key runs alone. Other events pass
 * through.
 *
 * When `execution` is made of staged operators (e.g. `pipe(fanOutExperts(d), fuse(d))`), its
 * stages run inline, fused with the flight: a token reaches every participant with no extra
 * subscriber hop.
 *
 *     request A:  x----------       x = execute; tokens a, answer n
 *     request B:  ---x-------       B joins: catches up on what A saw, then live
 *     flight:     -a--a--(n|)       one execution, experts started once
 *
 * With `coordinate` (a plugin with `coordination`), the flight's work is wrapped by it, so
 * identical requests on other replicas share the execution too: one local flight per key and
 * replica, one execution per key in the cluster.
 */
import { Observable, of, type OperatorFunction } from 'rxjs';
import type { ChainEvent, ExecuteEvent } from '../chain-events';
import { Flight, MAX_FLIGHT_LOG_EVENTS, type FlightWork } from './flight';
import { openStages, staged, stagesOf, type ChainStage } from './staged';

/** Wraps a flight's work (key, the first participant's `execute`, the local work) in cross-replica coordination. */
export type Coordinate = (key: string, execute: ExecuteEvent, work$: Observable<ChainEvent>) => Observable<ChainEvent>;

/** Options of {@link singleFlight}. */
export interface SingleFlightOptions {
  readonly coordinate?: Coordinate;
  /** Most non-token events a flight keeps for late joiners (default 1000). */
  readonly maxLogEvents?: number;
}

/** The events of `execution` run for one `execute` event. */
const workOf = (execution: OperatorFunction<ChainEvent, ChainEvent>, stages: readonly ChainStage[] | undefined, execute: ExecuteEvent): Observable<ChainEvent> =>
  (stages === undefined ? of<ChainEvent>(execute).pipe(execution) : new Observable<ChainEvent>((subscriber) => {
    const runner = openStages(stages, subscriber);
    runner.push(execute);
    runner.end();
    return runner.subscription;
  }));

/** Shares `execution` between identical requests in flight (across replicas too, with `coordinate`). */
export const singleFlight = (execution: OperatorFunction<ChainEvent, ChainEvent>, { coordinate, maxLogEvents = MAX_FLIGHT_LOG_EVENTS }: SingleFlightOptions = {}): OperatorFunction<ChainEvent, ChainEvent> => {
  const flights = new Map<string, Flight>();
  const stages = stagesOf(execution);
  const startOf = (key: string, execute: ExecuteEvent): FlightWork => {
    if (coordinate === undefined && stages !== undefined) {
      return (sink) => {
        const runner = openStages(stages, sink);
        runner.push(execute);
        runner.end();
        return runner.subscription;
      };
    }
    const work$ = workOf(execution, stages, execute);
    const shared$ = coordinate === undefined ? work$ : coordinate(key, execute, work$);
    return (sink) => shared$.subscribe(sink);
  };
  return staged((context) => (event) => {
    const { next } = context;
    if (event.type !== 'execute') {
      next(event);
      return;
    }
    const key = event.cacheKey;
    if (key === undefined) {
      context.run(workOf(execution, stages, event), { next });
      return;
    }
    let flight = flights.get(key);
    if (flight === undefined || !flight.joinable()) {
      const started: Flight = new Flight(startOf(key, event), () => {
        if (flights.get(key) === started) flights.delete(key);
      }, maxLogEvents);
      flights.set(key, started);
      flight = started;
    }
    flight.join(event.requestId, next, (onTeardown) => context.hold(onTeardown));
  });
};
