/**
 * A persistent cache in one SQLite file, shared across restarts and processes.
 */
import { KeyvSqlite } from '@keyv/sqlite';
import Keyv from 'keyv';
import { defer, mergeMap, type Observable } from 'rxjs';
import type { ResponseCache } from '../ports';
import { keyvCache, type KeyvCacheOptions } from './keyv-cache';

/** Options of {@link sqliteCache}. */
export interface SqliteCacheOptions extends KeyvCacheOptions {
  /** Key prefix, so several caches can share a table. Default: Keyv's ('keyv'). */
  readonly namespace?: string;
  /** Table name: a letter, then letters, digits or '_'. Default 'cache'. */
  readonly table?: string;
  /** How long SQLite retries while another connection holds the lock, in ms. Default 1000. */
  readonly busyTimeoutMs?: number;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * `keyvCache` over `@keyv/sqlite` at `path`. Opens the database at once and applies
 * `journal_mode=WAL` and `synchronous=NORMAL` (about 10x faster writes than SQLite's
 * defaults); every operation waits for them. If they fail the cache still works (more slowly)
 * and `onError` is told; a database that cannot be opened fails each operation with a
 * `CacheError`. `close()` waits for operations in flight and closes the database handle.
 * Throws a TypeError for an empty path, an invalid table name or busy timeout.
 */
export const sqliteCache = (path: string, options: SqliteCacheOptions = {}): Required<ResponseCache> => {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError('sqliteCache: path must be a non-empty string');
  }
  const { namespace, table = 'cache', busyTimeoutMs = 1000, onError, ...keyvOptions } = options;
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new TypeError(`sqliteCache: invalid table name ${JSON.stringify(table)}`);
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError(`sqliteCache: busyTimeoutMs must be a non-negative integer, got ${String(busyTimeoutMs)}`);
  }
  const store = new KeyvSqlite({ uri: `sqlite://${path}`, table });
  const keyv = new Keyv({ store, ...(namespace === undefined ? {} : { namespace }) });
  let reported: unknown;
  const report = (error: unknown): void => {
    reported = error;
    onError?.(error);
  };
  const cache = keyvCache(keyv, { ...keyvOptions, onError: report });

  // Runs at once, which also handles the store's connection promise (no unhandled rejection).
  // A connection failure was already reported by the store's 'error' event.
  let setupFailed = false;
  const ready: Promise<void> = store
    .query(`PRAGMA busy_timeout = ${busyTimeoutMs}`) // not the store's option: it ignores 0
    .then(() => enableWal(store))
    .then(() => store.query('PRAGMA synchronous=NORMAL'))
    .then(
      () => undefined,
      (error: unknown) => {
        setupFailed = true;
        if (error !== reported) report(error);
      },
    );

  const whenReady = <T>(run: () => Observable<T>): Observable<T> => defer(() => ready).pipe(mergeMap(run));

  let closing: Promise<void> | undefined;
  return {
    get: (key) => whenReady(() => cache.get(key)),
    set: (key, value) => whenReady(() => cache.set(key, value)),
    delete: (key) => whenReady(() => cache.delete(key)),
    close: () =>
      (closing ??= ready
        .then(() => cache.close())
        .catch((error: unknown) => {
          if (!setupFailed) throw error; // after a failed setup there may be no handle to close
        })),
  };
};

const WAL_ATTEMPTS = 5;

/**
 * Switches the file to WAL (a persistent setting of the file). The switch needs an exclusive
 * lock and SQLite answers SQLITE_BUSY at once, without its busy timeout, while another
 * connection holds the file (measured: connections opening a new file together); so retry a
 * few times, 10-80 ms apart. If another connection switched it meanwhile, the retry is a no-op.
 */
const enableWal = async (store: KeyvSqlite, attempt = 1): Promise<void> => {
  try {
    await store.query('PRAGMA journal_mode=WAL');
  } catch (error) {
    if (attempt >= WAL_ATTEMPTS || (error as { code?: unknown } | null)?.code !== 'SQLITE_BUSY') throw error;
    await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt));
    return enableWal(store, attempt + 1);
  }
};
