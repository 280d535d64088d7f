/**
 * At most `maxConcurrent` executions (expert fan-outs) at once, at most `maxQueued` waiting
 * behind them; beyond both, `acquire()` fails at once with an `OverloadedError`, so memory
 * stays bounded under any load. Cache hits never take a slot.
 */
import { Observable } from 'rxjs';
import { OverloadedError } from '../errors';

/** The slot pool of one plugin. */
export interface ExecutionSlots {
  /**
   * Runs `work$` once a slot is free, holding the slot until it ends or is unsubscribed
   * (unsubscribing while queued leaves the queue). When the queue is full: `whenFull(error)`
   * at once if given (no extra hop on the work's path, unlike `catchError`), else an error
   * with the `OverloadedError`.
   */
  run<T>(work$: Observable<T>, whenFull?: (refusal: OverloadedError) => Observable<T>): Observable<T>;
  /** Executions running now. */
  running(): number;
  /** Executions waiting for a slot. */
  queued(): number;
}

/** A pool with the given limits (Infinity allowed). */
export const createExecutionSlots = (maxConcurrent: number, maxQueued: number): ExecutionSlots => {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    running--;
    const next = waiting.shift();
    if (next !== undefined) next();
  };
  return {
    run: <T>(work$: Observable<T>, whenFull?: (refusal: OverloadedError) => Observable<T>) => new Observable<T>((subscriber) => {
      let held = false;
      const take = (): void => {
        running++;
        held = true;
        subscriber.add(work$.subscribe(subscriber));
      };
      if (running < maxConcurrent) take();
      else if (waiting.length < maxQueued) waiting.push(take);
      else if (whenFull !== undefined) return whenFull(new OverloadedError()).subscribe(subscriber);
      else {
        subscriber.error(new OverloadedError());
        return undefined;
      }
      return () => {
        if (held) release();
        else {
          const at = waiting.indexOf(take);
          if (at >= 0) waiting.splice(at, 1);
        }
      };
    }),
    running: () => running,
    queued: () => waiting.length,
  };
};
