/**
 * A cache in Redis, shared by every replica of a service.
 */
import KeyvRedis, { type RedisConnectionClientType } from '@keyv/redis';
import Keyv from 'keyv';
import { defer, mergeMap, throwError, timeout, type Observable } from 'rxjs';
import { CacheError } from '../errors';
import type { ResponseCache } from '../ports';
import { keyvCache, type KeyvCacheOptions } from './keyv-cache';
import { createCacheClient, listenersAddedBy, settledConnection } from './redis/cache-client';
import { followAttempts } from './redis/connection-attempts';
import { settleWithin } from './redis/deadline';

/** Options of {@link redisCache}. */
export interface RedisCacheOptions extends KeyvCacheOptions {
  /** A `redis://` or `rediss://` URL (credentials and db index may be in it). Default 'redis://localhost:6379'. */
  readonly url?: string;
  /**
   * A node-redis client you own, instead of `url`; pass it connected (or connecting). `close()`
   * leaves it open. Create it with `disableOfflineQueue: true` and a reconnect strategy that
   * never gives up, or a lookup while Redis is down waits for `opTimeoutMs`; give it your own
   * 'error' listener (the cache's is removed on close).
   */
  readonly client?: RedisConnectionClientType;
  /** Key prefix: records are stored under `<namespace>::<key>`. Letters, digits, `_.-`, single `:` between parts. Default 'dialogue'. */
  readonly namespace?: string;
  /** Bound on each get, set and delete, in ms, waiting for the first connection included: past it the operation fails with a CacheError. Default 1000. */
  readonly opTimeoutMs?: number;
  /** Bound on `close()`, in ms: how long it waits for operations in flight and for Redis to see the connection closed. Default 500. */
  readonly closeTimeoutMs?: number;
}

const DEFAULT_URL = 'redis://localhost:6379';
const NAMESPACE = /^[\w.-]+(?::[\w.-]+)*$/;

/**
 * `keyvCache` over `@keyv/redis`. With `url`, it creates and connects its own client at once:
 * while Redis is unreachable every operation fails at once with a `CacheError` (the offline
 * queue is off), which the pipeline counts as a miss; the client reconnects by itself (first at
 * once, then every 50 ms doubling up to 1 s, forever) and the cache works again as soon as
 * Redis is back. Only the very first operations wait for the first connection attempt.
 *
 * Every Redis call has a deadline, so a Redis that is frozen, or cut off without the socket
 * noticing, can neither hang a caller nor shutdown: each TCP connect 2 s; each operation
 * `opTimeoutMs` (then a `CacheError`); `close()` `closeTimeoutMs`: it waits that long for
 * operations in flight and a clean disconnect, then destroys its own client's socket (a
 * caller's `client` is only let go of) and reports a `CacheError` 'close' to `onError`, and
 * resolves. After `close()` the client never reconnects. Client errors go to `onError`, never
 * crash the process. A caller's `client` stays open (the cache's listeners are removed from it).
 * Throws a TypeError for an invalid url, namespace, ttlMs or deadline, or both `url` and `client`.
 */
export const redisCache = (options: RedisCacheOptions = {}): Required<ResponseCache> => {
  const { url, client: borrowed, namespace = 'dialogue', opTimeoutMs = 1000, closeTimeoutMs = 500, ...keyvOptions } = options;
  validate(url, borrowed, namespace, keyvOptions.ttlMs);
  positive('opTimeoutMs', opTimeoutMs);
  positive('closeTimeoutMs', closeTimeoutMs);
  let closing: Promise<void> | undefined;
  const client = borrowed ?? createCacheClient(url ?? DEFAULT_URL, () => closing !== undefined);
  // throwOnErrors: else the store turns failures into misses.
  const { made: store, remove: removeListeners } = listenersAddedBy(client, () => new KeyvRedis(client, { throwOnErrors: true }));
  // Called by cache.close() once the operations in flight have ended. Not client.close(): it waits
  // for every queued reply (also of operations given up on), and after it destroy() is refused.
  store.disconnect = async () => {
    if (borrowed !== undefined) removeListeners();
    else if (client.isOpen) client.destroy();
  };
  const cache = keyvCache(new Keyv({ store, namespace, useKeyPrefix: false }), keyvOptions);
  // A failure is emitted as an 'error' event (reported through Keyv); the client keeps retrying.
  if (borrowed === undefined) client.connect().catch(() => undefined);
  const firstAttempt = settledConnection(client); // after connect(): the client is open from then on
  const attempts = borrowed === undefined ? followAttempts(client) : undefined;

  const bounded = <T>(operation: 'get' | 'set' | 'delete', run: () => Observable<T>): Observable<T> =>
    defer(() => firstAttempt.settled).pipe(
      mergeMap(run),
      timeout({ first: opTimeoutMs, with: () => throwError(() => new CacheError(operation, `Redis did not answer within ${opTimeoutMs} ms`)) }),
    );
  const close = async (): Promise<void> => {
    const late = (): void => {
      keyvOptions.onError?.(new CacheError('close', `Redis did not answer within ${closeTimeoutMs} ms while closing; the connection was dropped`));
      void firstAttempt.cancel();
      attempts?.stop();
      void store.disconnect(); // rejects what is still queued, so cache.close() ends too
    };
    // Destroying our client mid-connect could leave the new socket open: let an attempt under way end first.
    const idle = attempts === undefined ? firstAttempt.cancel() : attempts.idle();
    try {
      await settleWithin(idle.then(() => cache.close()), closeTimeoutMs, late);
    } finally {
      attempts?.stop();
    }
  };
  return {
    get: (key) => bounded('get', () => cache.get(key)),
    set: (key, value) => bounded('set', () => cache.set(key, value)),
    delete: (key) => bounded('delete', () => cache.delete(key)),
    close: () => (closing ??= close()),
  };
};

const positive = (name: string, value: unknown): void => {
  if (!(Number.isSafeInteger(value) && (value as number) > 0)) throw new TypeError(`redisCache: ${name} must be a positive integer, got ${String(value)}`);
};

const validate = (url: unknown, client: unknown, namespace: unknown, ttlMs: unknown): void => {
  if (url !== undefined && client !== undefined) throw new TypeError('redisCache: pass url or client, not both');
  // The message never quotes the URL: it may hold a password.
  if (url !== undefined && !isRedisUrl(url)) throw new TypeError('redisCache: url must be a redis:// or rediss:// URL');
  if (client !== undefined && typeof (client as { connect?: unknown } | null)?.connect !== 'function') {
    throw new TypeError('redisCache: client must be a node-redis client');
  }
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new TypeError(`redisCache: invalid namespace ${JSON.stringify(namespace)}`);
  }
  // Redis' PX takes whole milliseconds.
  if (ttlMs !== undefined) positive('ttlMs', ttlMs);
};

const isRedisUrl = (url: unknown): boolean => {
  if (typeof url !== 'string') return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'redis:' || protocol === 'rediss:';
  } catch {
    return false;
  }
};
