/**
 * One connection of a `sqliteCache` to its file: opened at once, set up (busy timeout, WAL,
 * synchronous=NORMAL), and aware of which file it opened (device and inode), so the cache can
 * tell when the file at its path is no longer that one.
 */
import * as fs from 'node:fs';
import { KeyvSqlite } from '@keyv/sqlite';
import Keyv from 'keyv';
import { defer, mergeMap, type Observable } from 'rxjs';
import type { ResponseCache } from '../../ports';
import { keyvCache, type KeyvCacheOptions } from '../keyv-cache';

/** What a connection needs (already validated by `sqliteCache`). */
export interface SqliteConnectionOptions extends KeyvCacheOptions {
  readonly namespace: string | undefined;
  readonly table: string;
  readonly busyTimeoutMs: number;
}

/** An open connection. */
export interface SqliteConnection {
  /** Operations wait for the set-up. `close()` waits for operations in flight, then closes the handle. */
  readonly cache: Required<ResponseCache>;
  /** The opened file's `dev:ino` once set up; undefined when it could not be opened. */
  readonly identity: Promise<string | undefined>;
  /**
   * Closes a connection whose file was deleted or replaced: after its operations in flight, it
   * empties its WAL into its (now unreachable) file first. SQLite itself leaves the WAL of a
   * moved database in place on close, at the path, where the next connection would replay the
   * old database's pages onto the new file.
   */
  retire(): Promise<void>;
}

/** `dev:ino` of the file at `path`, undefined when there is none (or it cannot be looked at). */
export const fileIdentity = (path: string): Promise<string | undefined> =>
  fs.promises.stat(path).then(({ dev, ino }) => `${dev}:${ino}`, () => undefined);

/**
 * Opens `path` once `after` has settled (default: at once); `onError` receives every store error
 * (and a failed set-up). Operations and `close()` wait for the opening.
 *
 * `after` is how a replacement waits for the connection it replaces to close: two handles in one
 * process on two different files at one path share the `-wal` and `-shm` files there, and POSIX
 * locks do not keep one process's handles apart, so the new handle takes the old one's shared
 * memory for stale, truncates it under the old handle's mapping, and the old handle's next look
 * at it corrupts the file or kills the process with SIGBUS (measured: both, in under 100 swaps).
 */
export const openSqliteConnection = (path: string, options: SqliteConnectionOptions, after: Promise<unknown> = Promise.resolve()): SqliteConnection => {
  const { namespace, table, busyTimeoutMs, onError, ...keyvOptions } = options;
  let reported: unknown;
  const report = (error: unknown): void => {
    reported = error;
    onError?.(error);
  };
  let retiring = false;
  const build = () => {
    const store = new KeyvSqlite({ uri: `sqlite://${path}`, table });
    const disconnect = store.disconnect.bind(store);
    store.disconnect = async () => {
      // TRUNCATE: also empties the WAL file, so nothing is left to replay. Best effort.
      if (retiring) await store.query('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
      await disconnect();
    };
    const keyv = new Keyv({ store, ...(namespace === undefined ? {} : { namespace }) });
    return { store, cache: keyvCache(keyv, { ...keyvOptions, onError: report }) };
  };

  // Runs at once, which also handles the store's connection promise (no unhandled rejection).
  // A connection failure was already reported by the store's 'error' event.
  let setupFailed = false;
  const opened = after.then(() => undefined, () => undefined).then(build);
  const ready: Promise<Required<ResponseCache>> = opened.then(({ store, cache }) => store
    .query(`PRAGMA busy_timeout = ${busyTimeoutMs}`) // not the store's option: it ignores 0
    .then(() => enableWal(store))
    .then(() => store.query('PRAGMA synchronous=NORMAL'))
    .then(
      () => cache,
      (error: unknown) => {
        setupFailed = true;
        if (error !== reported) report(error);
        return cache;
      },
    ));

  const whenReady = <T>(run: (cache: Required<ResponseCache>) => Observable<T>): Observable<T> => defer(() => ready).pipe(mergeMap(run));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= ready
      .then((cache) => cache.close())
      .catch((error: unknown) => {
        if (!setupFailed) throw error; // after a failed setup there may be no handle to close
      }));
  return {
    cache: {
      get: (key) => whenReady((cache) => cache.get(key)),
      set: (key, value) => whenReady((cache) => cache.set(key, value)),
      delete: (key) => whenReady((cache) => cache.delete(key)),
      close,
    },
    identity: ready.then(() => fileIdentity(path)),
    retire: () => {
      retiring = true;
      return close();
    },
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
