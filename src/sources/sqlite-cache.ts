/**
 * A persistent cache in one SQLite file, shared across restarts and processes.
 */
import { catchError, concatMap, defer, from, of, throwError, type Observable } from 'rxjs';
import { CacheError } from '../errors';
import type { ResponseCache } from '../ports';
import type { KeyvCacheOptions } from './keyv-cache';
import { fileIdentity, openSqliteConnection, type SqliteConnection } from './sqlite/sqlite-connection';

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
/** A read looks at the file at most this often (a write looks after every write). */
const READ_CHECK_EVERY_MS = 1000;
/** A write that finds the file changed under it is written again, to the new file, up to this many times in all. */
const MAX_WRITE_ATTEMPTS = 3;

type Operation = 'get' | 'set' | 'delete';

/**
 * `keyvCache` over `@keyv/sqlite` at `path`. Opens the database at once and applies
 * `journal_mode=WAL` and `synchronous=NORMAL` (about 10x faster writes than SQLite's
 * defaults); every operation waits for them. If they fail the cache still works (more slowly)
 * and `onError` is told; a database that cannot be opened fails each operation with a
 * `CacheError`. `close()` waits for operations in flight and closes the database handle.
 *
 * A file deleted or replaced (renamed over) while the cache has it open is noticed: an open
 * handle keeps using the old file, so writes would vanish, unseen, and the old file's WAL,
 * left at the path, would be replayed onto the next file opened there. After every write the
 * cache compares the device and inode at `path` with those of the file it opened (one `stat`,
 * about 50 µs, next to about 100 µs for the write); reads compare at most once a second. On a
 * difference it reports a `CacheError` to `onError`, closes the old handle after emptying its
 * WAL, then opens the file now at `path` (a new, empty one if there is none) and writes again
 * there what was just written. A write is never lost silently: it lands in the file at `path`, or it
 * fails with a `CacheError`. Reads may serve the old file for up to a second.
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
  const open = (after?: Promise<unknown>): SqliteConnection =>
    openSqliteConnection(path, { ...keyvOptions, namespace, table, busyTimeoutMs, onError }, after);
  let current = open();
  let checkedAt = Number.NEGATIVE_INFINITY;
  let checking: Promise<SqliteConnection> | undefined;
  let closing: Promise<void> | undefined;

  /** `current`, after replacing it when the file at `path` is no longer the one it opened. One check at a time. */
  const check = (operation: Operation): Promise<SqliteConnection> => (checking ??= (async () => {
    const connection = current;
    // One after the other: a stat made before the handle has opened would find no file yet.
    const opened = await connection.identity;
    const atPath = await fileIdentity(path);
    checkedAt = Date.now();
    if (opened === atPath || closing !== undefined) return connection;
    onError?.(new CacheError(operation, atPath === undefined
      ? `Cache file ${path} was deleted while open; reopened a new one at that path`
      : `Cache file ${path} was replaced while open; reopened the file now at that path`));
    // The old handle closes before the new one opens: in one process they would share the
    // -wal and -shm files at the path and corrupt each other (see openSqliteConnection).
    // The new handle's close() waits for its opening, so for this one's retirement too.
    current = open(connection.retire().catch((error: unknown) => onError?.(error)));
    return current;
  })().finally(() => {
    checking = undefined;
  }));

  /** Runs `run` on `connection`; one that was replaced meanwhile (and refuses it, closing) hands it on to the current one. */
  const on = <T>(connection: SqliteConnection, run: (connection: SqliteConnection) => Observable<T>, attempt = 1): Observable<T> =>
    run(connection).pipe(catchError((error: unknown) =>
      connection !== current && attempt < MAX_WRITE_ATTEMPTS ? on(current, run, attempt + 1) : throwError(() => error)));

  /** A write, then the check that it went to the file at `path`; if not, the write again on the fresh file. */
  const written = (operation: Operation, run: (connection: SqliteConnection) => Observable<void>): Observable<void> => {
    const write = (connection: SqliteConnection, attempt: number): Observable<void> => on(connection, run).pipe(
      concatMap(() => from(check(operation))),
      concatMap((after) => {
        if (after === connection) return of(undefined);
        if (attempt >= MAX_WRITE_ATTEMPTS) return throwError(() => new CacheError(operation, `Cache file ${path} kept changing; the write may be lost`));
        return write(after, attempt + 1);
      }),
    );
    return defer(() => write(current, 1));
  };

  return {
    get: (key) => defer(() => (Date.now() - checkedAt < READ_CHECK_EVERY_MS ? of(current) : from(check('get')))).pipe(
      concatMap((connection) => on(connection, (c) => c.cache.get(key))),
    ),
    set: (key, value) => written('set', (connection) => connection.cache.set(key, value)),
    delete: (key) => written('delete', (connection) => connection.cache.delete(key)),
    close: () => (closing ??= (async () => {
      await checking;
      await current.cache.close();
    })()),
  };
};
