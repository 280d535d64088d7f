/**
 * A cache in Redis, shared by every replica of a service.
 */
import KeyvRedis, { type RedisConnectionClientType } from '@keyv/redis';
import { createClient } from '@redis/client';
import Keyv from 'keyv';
import { defer, mergeMap, type Observable } from 'rxjs';
import type { ResponseCache } from '../ports';
import { keyvCache, type KeyvCacheOptions } from './keyv-cache';

/** Options of {@link redisCache}. */
export interface RedisCacheOptions extends KeyvCacheOptions {
  /** A `redis://` or `rediss://` URL (credentials and db index may be in it). Default 'redis://localhost:6379'. */
  readonly url?: string;
  /**
   * A node-redis client you own, instead of `url`; pass it connected (or connecting). `close()`
   * leaves it open. Create it with `disableOfflineQueue: true` and a reconnect strategy that
   * never gives up, or a lookup while Redis is down waits for the pipeline's lookup timeout;
   * give it your own 'error' listener (the cache's is removed on close).
   */
  readonly client?: RedisConnectionClientType;
  /** Key prefix: records are stored under `<namespace>::<key>`. Letters, digits, `_.-`, single `:` between parts. Default 'dialogue'. */
  readonly namespace?: string;
}

const DEFAULT_URL = 'redis://localhost:6379';
const NAMESPACE = /^[\w.-]+(?::[\w.-]+)*$/;
const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_BASE_MS = 50;
const RECONNECT_MAX_MS = 1000;
const CLIENT_EVENTS = ['error', 'connect', 'disconnect', 'reconnecting'] as const;

type Listener = (...args: unknown[]) => void;

/**
 * `keyvCache` over `@keyv/redis`. With `url`, it creates and connects its own client at once:
 * while Redis is unreachable every operation fails at once with a `CacheError` (the offline
 * queue is off), which the pipeline counts as a miss; the client reconnects by itself (first at
 * once, then every 50 ms doubling up to 1 s, forever) and the cache works again as soon as
 * Redis is back. Only the very first operations wait for the first connection attempt (up to
 * 2 s, bounded anyway by the pipeline's lookup timeout). Client errors go to `onError`, never
 * crash the process. `close()` waits for operations in flight and disconnects the client it
 * created; a caller's `client` stays open (the cache's listeners are removed from it).
 * Throws a TypeError for an invalid url, namespace or ttlMs, or both `url` and `client`.
 */
export const redisCache = (options: RedisCacheOptions = {}): Required<ResponseCache> => {
  const { url, client: borrowed, namespace = 'dialogue', ...keyvOptions } = options;
  validate(url, borrowed, namespace, keyvOptions.ttlMs);
  const client: RedisConnectionClientType = borrowed ?? createClient({
    url: url ?? DEFAULT_URL,
    RESP: 2, // the default; stated so the client's type is the one Keyv's store accepts
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries) => Math.min(RECONNECT_BASE_MS * 2 ** retries, RECONNECT_MAX_MS) },
  });
  const before = listenersOf(client);
  const store = new KeyvRedis(client, { throwOnErrors: true }); // else the store turns failures into misses
  if (borrowed !== undefined) {
    const added = listenersOf(client).filter((entry) => !before.some(([e, l]) => e === entry[0] && l === entry[1]));
    store.disconnect = async () => added.forEach(([event, listener]) => client.off(event, listener));
  }
  const cache = keyvCache(new Keyv({ store, namespace, useKeyPrefix: false }), keyvOptions);
  // A failure is emitted as an 'error' event (reported through Keyv); the client keeps retrying.
  if (borrowed === undefined) client.connect().catch(() => undefined);
  const firstAttempt = settledConnection(client); // after connect(): the client is open from then on

  const gated = <T>(run: () => Observable<T>): Observable<T> => defer(() => firstAttempt.settled).pipe(mergeMap(run));
  let closing: Promise<void> | undefined;
  return {
    get: (key) => gated(() => cache.get(key)),
    set: (key, value) => gated(() => cache.set(key, value)),
    delete: (key) => gated(() => cache.delete(key)),
    // Closing our client mid-connect could leave a socket open: wait for that attempt first.
    close: () => (closing ??= (borrowed === undefined ? firstAttempt.settled : firstAttempt.cancel()).then(() => cache.close())),
  };
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
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && (ttlMs as number) > 0)) {
    throw new TypeError(`redisCache: ttlMs must be a positive integer, got ${String(ttlMs)}`);
  }
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

const listenersOf = (client: RedisConnectionClientType): Array<[string, Listener]> =>
  CLIENT_EVENTS.flatMap((event) => client.listeners(event).map((listener): [string, Listener] => [event, listener as Listener]));

/**
 * Settles once the client is ready or its current connection attempt failed (at once when it
 * is ready or not connecting), so the first operations neither fail while a healthy Redis is
 * still being reached nor wait through the reconnect back-off. `cancel` settles it early.
 */
const settledConnection = (client: RedisConnectionClientType): { settled: Promise<void>; cancel(): Promise<void> } => {
  let done = (): void => undefined;
  const settled = new Promise<void>((resolve) => {
    if (client.isReady || !client.isOpen) return resolve();
    done = () => {
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    client.on('ready', done);
    client.on('error', done);
  });
  return { settled, cancel: () => (done(), settled) };
};
