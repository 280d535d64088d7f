/**
 * A cache over any Keyv instance (Redis, SQLite, Postgres, in-memory Map, ...).
 */
import type Keyv from 'keyv';
import { finalize, from, catchError, defer, map, throwError, type Observable } from 'rxjs';
import { CacheError } from '../errors';
import type { CachedAnswer, ResponseCache } from '../ports';
import { inFlight } from './in-flight';

/** Options of {@link keyvCache}. */
export interface KeyvCacheOptions {
  /** Time to live of each record, in ms; passed to `keyv.set`. Default: Keyv's own `ttl`. */
  readonly ttlMs?: number;
  /** Receives every error Keyv emits (store connection errors included). */
  readonly onError?: (error: unknown) => void;
}

type Operation = 'get' | 'set' | 'delete';

/**
 * Wraps a Keyv instance as a ResponseCache. Every operation is lazy (the store is touched on
 * subscribe), emits once and completes; a failure becomes a `CacheError` whose message names
 * the operation and error kind but never the stored value (the original is its `cause`).
 * `get` returns what was stored, unchecked: decoding the record is the pipeline's job; a record
 * Keyv cannot even parse fails with a CacheError of operation 'decode', so the pipeline deletes it.
 * Sets `keyv.throwOnErrors` (otherwise Keyv 5 turns store failures into silent misses) and
 * listens to Keyv's 'error' events so they never go unhandled. `close()` waits for operations
 * in flight, then calls `keyv.disconnect()`; it is idempotent.
 */
export const keyvCache = (keyv: Keyv, { ttlMs, onError }: KeyvCacheOptions = {}): Required<ResponseCache> => {
  if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new TypeError(`keyvCache: ttlMs must be a positive number, got ${String(ttlMs)}`);
  }
  keyv.throwOnErrors = true;
  const onKeyvError = (error: unknown): void => onError?.(error);
  keyv.on('error', onKeyvError);

  const pending = inFlight();
  let closing: Promise<void> | undefined;

  const run = <T>(operation: Operation, start: () => Promise<T>): Observable<T> =>
    defer(() => {
      if (closing !== undefined) {
        return throwError(() => new CacheError(operation, `Cache ${operation} after close`));
      }
      const promise = start();
      const settled = pending.add();
      promise.then(settled, settled);
      // An operation its caller gave up on (unsubscribed, e.g. after a lookup timeout) is no
      // longer waited for by close(): a store that stopped answering cannot hang it.
      return from(promise).pipe(finalize(settled));
    }).pipe(
      catchError((error: unknown) =>
        throwError(() =>
          CacheError.isInstance(error) ? error
            : operation === 'get' && error instanceof SyntaxError
              ? new CacheError('decode', 'Cache record is not valid JSON', { cause: error })
              : new CacheError(operation, `Cache ${operation} failed (${errorKind(error)})`, { cause: error }),
        ),
      ),
    );

  return {
    get: (key) => run('get', () => keyv.get<CachedAnswer>(key)),
    set: (key, value) =>
      run('set', () => keyv.set<CachedAnswer>(key, value, ttlMs)).pipe(
        map((stored) => {
          if (stored === false) throw new CacheError('set', 'Cache set failed (the store refused the write)');
        }),
      ),
    delete: (key) => run('delete', () => keyv.delete(key)).pipe(map(() => undefined)),
    close: () =>
      (closing ??= (async () => {
        await pending.drained();
        try {
          await keyv.disconnect();
        } catch (error) {
          throw new CacheError('close', `Cache close failed (${errorKind(error)})`, { cause: error });
        } finally {
          keyv.off('error', onKeyvError);
        }
      })()),
  };
};

/** The error's class name and code, never its message (which may quote the stored value). */
const errorKind = (error: unknown): string => {
  // Duck-typed: errors from native addons or other realms fail `instanceof Error`.
  if (typeof error !== 'object' || error === null) return typeof error;
  const { name, code } = error as { name?: unknown; code?: unknown };
  const kind = typeof name === 'string' ? name : 'Error';
  return typeof code === 'string' ? `${kind} ${code}` : kind;
};
