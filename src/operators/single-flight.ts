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
 */
import { of, type OperatorFunction } from 'rxjs';
import { Flight } from '../pipeline/flight';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import { handle } from './handle';

/** Flights in progress, by cache key. */
export type FlightRegistry = Map<string, Flight>;

/** Shares `execution` between identical requests in flight. */
export const singleFlight = (execution: OperatorFunction<StageEvent, StageEvent>, flights: FlightRegistry): OperatorFunction<StageEvent, StageEvent> =>
  handle('execute', ({ job }) => {
    const key = job.cacheKey;
    if (key === undefined) return of(handoff('execute', job)).pipe(execution);
    let flight = flights.get(key);
    if (flight === undefined || !flight.joinable()) {
      const started = new Flight(job, of(handoff('execute', job)).pipe(execution), () => {
        if (flights.get(key) === started) flights.delete(key);
      });
      flights.set(key, started);
      flight = started;
    }
    return flight.join(job);
  });
