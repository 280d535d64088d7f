/**
 * The node-redis client of a `redisCache`: the one it creates for a `url`, or the caller's, whose
 * listeners it must leave as it found them.
 */
import type { RedisConnectionClientType } from '@keyv/redis';
import { createClient } from '@redis/client';

const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_BASE_MS = 50;
const RECONNECT_MAX_MS = 1000;
const CLIENT_EVENTS = ['error', 'connect', 'disconnect', 'reconnecting'] as const;

type Listener = (...args: unknown[]) => void;

/**
 * A client for `url` without an offline queue (a command while Redis is down fails at once),
 * a 2 s bound on each TCP connect, and reconnects 50 ms doubling up to 1 s, forever, until
 * `closing()` says so (then a lost connection stays lost: no reconnect timer outlives close).
 */
export const createCacheClient = (url: string, closing: () => boolean): RedisConnectionClientType => createClient({
  url,
  RESP: 2, // the default; stated so the client's type is the one Keyv's store accepts
  disableOfflineQueue: true,
  socket: {
    connectTimeout: CONNECT_TIMEOUT_MS,
    reconnectStrategy: (retries) => (closing() ? false : Math.min(RECONNECT_BASE_MS * 2 ** retries, RECONNECT_MAX_MS)),
  },
});

/** Runs `make`; `remove` takes off the client every listener `make` added to it. */
export const listenersAddedBy = <T>(client: RedisConnectionClientType, make: () => T): { made: T; remove(): void } => {
  const before = listenersOf(client);
  const made = make();
  const added = listenersOf(client).filter((entry) => !before.some(([e, l]) => e === entry[0] && l === entry[1]));
  return { made, remove: () => added.forEach(([event, listener]) => client.off(event, listener)) };
};

const listenersOf = (client: RedisConnectionClientType): Array<[string, Listener]> =>
  CLIENT_EVENTS.flatMap((event) => client.listeners(event).map((listener): [string, Listener] => [event, listener as Listener]));

/**
 * Settles once the client is ready or its current connection attempt failed (at once when it
 * is ready or not connecting), so the first operations neither fail while a healthy Redis is
 * still being reached nor wait through the reconnect back-off. `cancel` settles it early.
 */
export const settledConnection = (client: RedisConnectionClientType): { settled: Promise<void>; cancel(): Promise<void> } => {
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
