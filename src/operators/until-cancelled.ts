/**
 * `untilCancelled(cancel$, requestId)`: `takeUntil(cancel$)` on the request's body, followed by
 * a `cancelled` event when (and only when) `cancel$` fired. The body is torn down (experts
 * unsubscribed, timers cleared) BEFORE `cancelled` is emitted: `cancelled` is concatenated after
 * the `takeUntil`, which unsubscribes the body before it completes. An already-fired `cancel$`
 * (an aborted signal) means the body never starts. `cancel$` is subscribed once, before the
 * body. A body that ends without a cancel ends the result too (so `finish` can tell a body that
 * ended without a terminal event), and a later cancel is ignored.
 *
 *     body:     --a--b--c--      cancel$: -----x
 *     result:   --a--(C|)        C = cancelled, body unsubscribed at frame 5
 */
import { EMPTY, concat, defer, of, take, takeUntil, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { CancelledEvent } from '../events';
import type { StageEvent } from '../pipeline/stage-events';

/** Stops the body when `cancel$` emits a reason, then emits `cancelled` with it. */
export const untilCancelled = (cancel$: Observable<string>, requestId: string): OperatorFunction<StageEvent, StageEvent> =>
  (body$) => defer(() => {
    let reason: string | undefined;
    const stop$ = cancel$.pipe(take(1), tap((given) => { reason = given; }));
    return concat(
      body$.pipe(takeUntil(stop$)),
      defer(() => (reason === undefined ? EMPTY : of<CancelledEvent>({ type: 'cancelled', requestId, reason }))),
    );
  });
