/**
 * `handle(type, handler)`: mergeMap for one event kind. Events of `type` go to `handler`, which
 * may emit synchronously through `emit` and/or return an Observable whose events are merged in;
 * every other event passes through untouched.
 *
 * Built with `new Observable` because it sits on the per-token path of every operator after
 * fan-out: pass-through is one type test and one `next`, with no `of(event)` per token (which
 * `mergeMap` would need). Completes when the source and every inner Observable have completed;
 * unsubscribing tears down the source and every inner Observable.
 *
 *     source:  --r--t--t--|          handle('r', () => cold('-a-b|'))
 *     result:  ---a-tb-t--|
 */
import { Observable, Subscription, type OperatorFunction } from 'rxjs';
import type { EventOf, StageEvent } from '../pipeline/stage-events';

/** Handles one event kind: emit at once through `emit`, or return an Observable of follow-up events. */
export type EventHandler<T extends StageEvent['type']> =
  (event: EventOf<T>, emit: (event: StageEvent) => void) => Observable<StageEvent> | void;

/** Routes events of `type` to `handler` and passes every other event through. */
export const handle = <T extends StageEvent['type']>(type: T, handler: EventHandler<T>): OperatorFunction<StageEvent, StageEvent> =>
  (source) => new Observable<StageEvent>((subscriber) => {
    const inners = new Subscription();
    const emit = (event: StageEvent): void => subscriber.next(event);
    let sourceDone = false;
    let running = 0;
    const completeIfDone = (): void => {
      if (sourceDone && running === 0) subscriber.complete();
    };
    const onInnerComplete = (): void => {
      running--;
      completeIfDone();
    };
    const onError = (error: unknown): void => subscriber.error(error);
    const upstream = source.subscribe({
      next: (event) => {
        if (event.type !== type) {
          subscriber.next(event);
          return;
        }
        // A synchronous source keeps calling `next` until `subscribe` returns, even after an error.
        if (subscriber.closed) return;
        let follow: Observable<StageEvent> | void;
        try {
          follow = handler(event as EventOf<T>, emit);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (follow === undefined) return;
        running++;
        inners.add(follow.subscribe({ next: emit, error: onError, complete: onInnerComplete }));
      },
      error: onError,
      complete: () => {
        sourceDone = true;
        completeIfDone();
      },
    });
    return () => {
      upstream.unsubscribe();
      inners.unsubscribe();
    };
  });
