/**
 * A pool of execution slots: at most `maxConcurrent` executions (expert fan-outs) at once, at
 * most `maxQueued` waiting behind them; beyond both, `acquire()` fails at once with an
 * `OverloadedError`, so memory stays bounded under any load. Cache hits never take a slot.
 */
import { Observable } from 'rxjs';
import { OverloadedError } from '../errors';

/** The slot pool of one plugin. */
export interface ExecutionSlots {
  /**
   * Emits, once a slot is free (at once when one is), the function that frees it, then
   * completes; the holder calls it when its execution ends. Errors with an `OverloadedError`
   * when the queue is full. Unsubscribing while queued leaves the queue.
   */
  acquire(): Observable<() => void>;
  /** A slot now, if one is free and nobody waits (the function that frees it), else undefined: no Observable on the common path. */
  tryAcquire(): (() => void) | undefined;
  /** Executions running now. */
  running(): number;
  /** Executions waiting for a slot. */
  queued(): number;
}

/** A pool with the given limits (Infinity allowed). */
export const createExecutionSlots = (maxConcurrent: number, maxQueued: number): ExecutionSlots => {
  let running = 0;
  const waiting = new Set<() => void>();
  const freeOne = (): void => {
    running--;
    const next = waiting.values().next();
    if (next.done === true) return;
    waiting.delete(next.value);
    next.value();
  };
  const freeing = (): (() => void) => {
    running++;
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      freeOne();
    };
  };
  return {
    tryAcquire: () => (running < maxConcurrent && waiting.size === 0 ? freeing() : undefined),
    acquire: () => new Observable<() => void>((subscriber) => {
      const grant = (): void => {
        subscriber.next(freeing());
        subscriber.complete();
      };
      if (running < maxConcurrent) grant();
      else if (waiting.size < maxQueued) waiting.add(grant);
      else subscriber.error(new OverloadedError());
      return () => {
        waiting.delete(grant);
      };
    }),
    running: () => running,
    queued: () => waiting.size,
  };
};
