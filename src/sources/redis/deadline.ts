/**
 * The deadline of a Redis client's `close()`: node-redis' own `close()` waits for the reply to
 * every command still queued, which never comes from a Redis that is frozen or cut off (also
 * for commands whose callers gave up long ago), and a connection attempt stuck in its handshake
 * never settles. Past the deadline the caller drops the socket instead (`client.destroy()`).
 */

/**
 * Resolves once `work` has settled, or after `ms` at the latest: then `onLate` runs (it must end
 * the work's cause, e.g. destroy the client) and the work's later outcome is ignored. A rejection
 * within the deadline is passed on. The timer is cleared either way.
 */
export const settleWithin = (work: Promise<void>, ms: number, onLate: () => void): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      try {
        onLate();
      } finally {
        resolve();
      }
    }, ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) reject(error);
      },
    );
  });
