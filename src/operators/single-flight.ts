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
import { Observable, of, type OperatorFunction, type Subscription } from 'rxjs';
import type { ChainEvent, ExecuteEvent } from '../chain-events';
import { Flight, MAX_FLIGHT_LOG_EVENTS, type FlightHost } from './flight';
import { openStages, staged, stagesOf, type ChainStage, type StageSink } from './staged';

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

/** The flights of one singleFlight operator, by key; starts their work. */
class FlightTable implements FlightHost {
  readonly flights = new Map<string, Flight>();
  constructor(
    private readonly execution: OperatorFunction<ChainEvent, ChainEvent>,
    private readonly stages: readonly ChainStage[] | undefined,
    private readonly coordinate: Coordinate | undefined,
  ) {}

  start(flight: Flight, sink: StageSink): Subscription {
    const { execution, stages, coordinate } = this;
    if (coordinate === undefined && stages !== undefined) {
      const runner = openStages(stages, sink);
      runner.push(flight.execute);
      runner.end();
      return runner.subscription;
    }
    const work$ = workOf(execution, stages, flight.execute);
    return (coordinate === undefined ? work$ : coordinate(flight.key, flight.execute, work$)).subscribe(sink);
  }

  ended(flight: Flight): void {
    if (this.flights.get(flight.key) === flight) this.flights.delete(flight.key);
  }
}

/** Shares `execution` between identical requests in flight (across replicas too, with `coordinate`). */
export const singleFlight = (execution: OperatorFunction<ChainEvent, ChainEvent>, { coordinate, maxLogEvents = MAX_FLIGHT_LOG_EVENTS }: SingleFlightOptions = {}): OperatorFunction<ChainEvent, ChainEvent> => {
  const stages = stagesOf(execution);
  const table = new FlightTable(execution, stages, coordinate);
  const { flights } = table;
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
      flight = new Flight(key, event, table, maxLogEvents);
      flights.set(key, flight);
    }
    flight.join(event.requestId, context);
  }, { ignoresTokens: true });
};
