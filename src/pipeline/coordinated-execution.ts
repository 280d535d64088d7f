/**
 * `coordinatedExecution(key, execute, execution$, deps)`: one execution of `key` across replicas
 * (cross-replica single flight), wrapped around this replica's local flight.
 *
 * It claims `key` from the coordinator:
 * - leader: runs `execution$` here and appends each event (and the fused answer) to the log,
 *   then `end`; the claim is held until then (unsubscribing releases it).
 * - follower: replays the leader's log as the first local participant's events; the `answer` record becomes
 *   its own `answer` hand-off.
 * - the leader is lost (it died, left, or the log broke off) before the answer: the partial
 *   text is discarded (`retry` with `discard: true` per source that showed text) and the key is
 *   claimed again: this replica takes over or follows the replica that did. After
 *   {@link MAX_TAKEOVERS} such rounds: an `error` event (kind `system`).
 * - the claim fails (store unreachable): reported to `onSystemError`, and `execution$` runs
 *   here, uncoordinated.
 *
 *     leader:    claim -> L;  execution: -a-b-(n|)      log: a b answer end
 *     follower:  claim -> F;  log:       -a-b-(n|)      result: -a-b-(n|)  (n = answer hand-off)
 *     lost:      claim -> F;  log: -a-X   claim -> L:   result: -a-(rs)-a-b-(n|)  (r = retry discard)
 */
import { EMPTY, catchError, concat, defer, dematerialize, materialize, mergeMap, of, switchMap, takeWhile, tap, throwError, type Observable, type OperatorFunction } from 'rxjs';
import type { ChainEvent, ExecuteEvent } from '../chain-events';
import type { Clock, Coordinator, FlightClaim, FlightFollower, FlightLeader, SystemErrorReporter } from '../ports';
import { systemErrorEvent } from '../strategies/error-events';
import { MAX_TAKEOVERS, SharedFlightState, toRecord } from './flight-records';

/** What coordination needs. */
export interface CoordinationDeps { readonly clock: Clock; readonly reportSystemError: SystemErrorReporter; readonly coordinator: Coordinator }

/** The leader was lost before the answer (an internal signal between rounds). */
class LeaderLost extends Error {
  constructor(cause: unknown) {
    super('The replica running the shared execution was lost', { cause });
  }
}

/** Runs `body` with the claim, keeping the claim subscribed until `body` ends, then releasing it. */
const whileClaimed = <T>(body: (claim: FlightClaim) => Observable<T>): OperatorFunction<FlightClaim, T> => (claim$) =>
  claim$.pipe(
    switchMap((claim) => body(claim).pipe(materialize())),
    takeWhile((notification) => notification.kind !== 'C'),
    dematerialize(),
  );

/** Shares `execution$` (this replica's run of `execute`) with every replica that runs the same key. */
export const coordinatedExecution = (key: string, execute: ExecuteEvent, execution$: Observable<ChainEvent>, deps: CoordinationDeps): Observable<ChainEvent> =>
  defer(() => {
    const state = new SharedFlightState(execute, deps.clock);
    const context = () => ({ requestId: execute.requestId, stage: 'coordination', plan: execute.route.plan });

    const runHere = (error: unknown): Observable<ChainEvent> => {
      deps.reportSystemError(error, context());
      return concat(defer(() => state.restart('coordination unavailable; answering here')), execution$.pipe(tap((event) => state.note(event))));
    };

    const lead = (claim: FlightLeader): Observable<ChainEvent> => {
      if (claim.takeover) claim.append({ kind: 'reset', reason: 'the replica answering was lost; restarted' });
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        claim.append({ kind: 'end' });
      };
      const appended$ = execution$.pipe(tap((event) => {
        state.note(event);
        const record = toRecord(event);
        if (record !== undefined) claim.append(record);
        // The answer (or a terminal error) is the last record: the request may end, and leave, right after it.
        if (event.type === 'answer' || event.type === 'error') end();
      }));
      return concat(appended$, defer(() => {
        end();
        return EMPTY;
      }));
    };

    const follow = (claim: FlightFollower): Observable<ChainEvent> => concat(
      claim.records.pipe(mergeMap((record) => state.read(record))),
      defer(() => (state.done ? EMPTY : throwError(() => new Error('the log ended without an answer')))),
    ).pipe(catchError((error: unknown) => (state.done ? EMPTY : throwError(() => new LeaderLost(error)))));

    const round = (takeovers: number): Observable<ChainEvent> => {
      let claimed = false;
      const run$ = deps.coordinator.claim(key, { takeover: takeovers > 0 }).pipe(
        whileClaimed((claim) => {
          claimed = true;
          return claim.role === 'leader' ? lead(claim) : follow(claim);
        }),
        catchError((error: unknown) => {
          if (error instanceof LeaderLost) {
            return takeovers < MAX_TAKEOVERS ? round(takeovers + 1) : of(systemErrorEvent('system', error, context(), deps.reportSystemError));
          }
          return claimed ? throwError(() => error) : runHere(error);
        }),
      );
      return takeovers === 0 ? run$ : concat(defer(() => state.restart('the replica answering was lost; restarting')), run$);
    };

    return round(0);
  });
