/**
 * `untilCancelled(cancel$, requestId)`: runs the request's body until `cancel$` emits a reason,
 * then unsubscribes the body (experts and timers torn down) and only THEN emits `cancelled`
 * with that reason and completes. `cancel$` is subscribed before the body: an already-fired
 * `cancel$` (an aborted signal) means the body never starts. A body that ends first ends the
 * result too, and a later cancel is ignored.
 *
 * `new Observable` rather than `concat(body$.pipe(takeUntil(stop$)), ...)`: every token passes
 * here, and concat's inner subscriber would be one more hop per token. Over staged operators
 * and followed by `finish`, the three run fused as one subscription (envelope.ts).
 *
 *     body:     --a--b--c--      cancel$: -----x
 *     result:   --a--(C|)        C = cancelled, body unsubscribed at frame 5 before C
 */
import { Observable, type MonoTypeOperatorFunction, type Subscription } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import { markEnvelope } from './envelope';
import { fusedOf } from './staged';

/** Stops the body when `cancel$` emits a reason, then emits `cancelled` with it. */
export const untilCancelled = <E extends ChainEvent = ChainEvent>(cancel$: Observable<string>, requestId: string): MonoTypeOperatorFunction<E> =>
  (body$) => {
    const result = cancellable(body$, cancel$, requestId);
    const body = fusedOf(body$);
    // Over staged operators, `finish` can run body, cancel and end as one subscription (envelope.ts).
    return body === undefined ? result : markEnvelope(result, { body, cancel$, requestId });
  };

const cancellable = <E extends ChainEvent>(body$: Observable<E>, cancel$: Observable<string>, requestId: string): Observable<E> =>
  new Observable<E>((subscriber) => {
    let reason: string | undefined;
    let body: Subscription | undefined;
    const cancelled = (): void => {
      body?.unsubscribe();
      subscriber.next({ type: 'cancelled', requestId, reason } as E);
      subscriber.complete();
    };
    const stop = cancel$.subscribe((given) => {
      if (reason !== undefined || subscriber.closed) return;
      reason = given;
      // While the body is still subscribing (a cancel from inside a synchronous emission), wait
      // until it has a subscription to tear down: teardown always comes before `cancelled`.
      if (body !== undefined) cancelled();
    });
    subscriber.add(stop);
    if (reason !== undefined) {
      cancelled();
      return undefined;
    }
    body = body$.subscribe({
      next: (event) => {
        if (reason === undefined) subscriber.next(event);
      },
      error: (error: unknown) => {
        if (reason === undefined) subscriber.error(error);
      },
      complete: () => {
        if (reason === undefined) subscriber.complete();
      },
    });
    if (reason !== undefined && !subscriber.closed) cancelled();
    return body;
  });
