/**
 * `settle(onComplete, onError)`: passes values through; when the source completes, emits
 * `onComplete()` last; when it errors, emits `onError(error)` instead and completes. Used to
 * turn an expert's end into its `expert` event without ever erroring the request.
 *
 * `new Observable` because every token of every expert passes here: one hop, where
 * `concat` + `catchError` would be two.
 *
 *     source:  -a-b-|      -a-#
 *     result:  -a-b-(c|)   -a-(e|)
 */
import { Observable, type OperatorFunction } from 'rxjs';

/** Ends the source with a final value, whether it completed or failed. */
export const settle = <T, R>(onComplete: () => R, onError: (error: unknown) => R): OperatorFunction<T, T | R> =>
  (source) => new Observable<T | R>((subscriber) => source.subscribe({
    next: (value) => subscriber.next(value),
    error: (error) => {
      subscriber.next(onError(error));
      subscriber.complete();
    },
    complete: () => {
      subscriber.next(onComplete());
      subscriber.complete();
    },
  }));
