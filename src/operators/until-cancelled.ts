/**
 * `untilCancelled(cancel$, requestId)`: `takeUntil(cancel$)` on the request's body, followed by
 * a `cancelled` event. The body is torn down (experts unsubscribed, timers cleared) BEFORE
 * `cancelled` is emitted, because `takeUntil` subscribes to `cancel$` first and so hears it
 * first. An already-fired `cancel$` (an aborted signal) means the body never starts.
 *
 *     body:     --a--b--c--      cancel$: -----x
 *     result:   --a--(C|)        C = cancelled, body unsubscribed at frame 5
 */
import { map, merge, take, takeUntil, type Observable, type OperatorFunction } from 'rxjs';
import type { CancelledEvent } from '../events';
import type { StageEvent } from '../pipeline/stage-events';

/** Stops the body when `cancel$` emits a reason, then emits `cancelled` with it. */
export const untilCancelled = (cancel$: Observable<string>, requestId: string): OperatorFunction<StageEvent, StageEvent> =>
  (body$) => merge(
    body$.pipe(takeUntil(cancel$)),
    cancel$.pipe(take(1), map((reason): CancelledEvent => ({ type: 'cancelled', requestId, reason }))),
  );
