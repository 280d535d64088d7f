/**
 * The operations a source's `close()` waits for: those whose callers still wait. An operation
 * leaves the set when it settles or when its caller gives up on it (unsubscribes, e.g. after a
 * timeout), so a store that stopped answering cannot hold `close()` by an operation nobody wants.
 */

/** Tracks operations in flight. */
export interface InFlight {
  /** Adds one; the returned function removes it (idempotent). */
  add(): () => void;
  /** Resolves once none is left (at once when none is). */
  drained(): Promise<void>;
}

/** An empty {@link InFlight}. */
export const inFlight = (): InFlight => {
  let count = 0;
  let waiters: Array<() => void> = [];
  return {
    add: () => {
      count += 1;
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        count -= 1;
        if (count > 0) return;
        const settled = waiters;
        waiters = [];
        settled.forEach((resolve) => resolve());
      };
    },
    drained: () => (count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
};
