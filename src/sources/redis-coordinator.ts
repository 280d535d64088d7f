/**
 * `redisCoordinator(options)`: the {@link Coordinator} of a plugin's replicas, over Redis
 * (node-redis v5): cross-replica cancel on pub/sub (src/sources/redis/cancel-channel.ts) and
 * cross-replica single flight with a lock and a Stream per flight (flight-claim.ts,
 * flight-log.ts). Key and channel names: src/sources/redis/keys.ts. Design and failure
 * behaviour: docs/DESIGN-NOTES.md, "Scale-out".
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Observable } from 'rxjs';
import type { Coordinator, FlightClaim } from '../ports';
import { cancelChannel } from './redis/cancel-channel';
import type { CoordinationError } from './redis/coordination-error';
import { openConnection, type RedisClient } from './redis/connection';
import { claimFlight } from './redis/flight-claim';
import { redisKeys } from './redis/keys';

export { CoordinationError, type CoordinationOperation } from './redis/coordination-error';

/** Options of {@link redisCoordinator}; every number is in ms unless said otherwise. */
export interface RedisCoordinatorOptions {
  /** Default 'redis://127.0.0.1:6379'. */
  readonly url?: string;
  /**
   * A connected node-redis client you own, instead of `url`: used for commands, duplicated for
   * the subscriber and the blocking readers, left open by `close()`. Give it
   * `disableOfflineQueue: true`, or commands wait out `opTimeoutMs` while Redis is down.
   */
  readonly client?: RedisClient;
  /** Prefix of every key and channel; replicas that share work use the same one. Default 'dialogue'. */
  readonly namespace?: string;
  /** Unique per replica. Default: host name, pid and a random suffix. */
  readonly replicaId?: string;
  /** Flight lock time to live, renewed every third of it while the leader runs. Default 3000. */
  readonly lockTtlMs?: number;
  /** A follower's blocking read; after one that brings nothing it checks the leader's lock. Default 500. */
  readonly blockMs?: number;
  /** Bound on every Redis operation (and on connecting a reader). Default 1000. */
  readonly opTimeoutMs?: number;
  /**
   * Bound on `close()`: how long it waits for a connection attempt under way and the commands in
   * flight (e.g. the release of a flight it led) before it destroys the connection. Default 500.
   */
  readonly closeTimeoutMs?: number;
  /** How long `cancelAnywhere` waits for the other replicas' replies at most. Default 250. */
  readonly cancelWaitMs?: number;
  /** Approximate most entries (batches of records) one flight log keeps. Default 10 000. */
  readonly streamMaxLen?: number;
  /** A flight log's expiry, refreshed while it is written and set again when it ends. Default 30 000. */
  readonly streamTtlMs?: number;
  /** Background failures (connection errors, failed appends, a lost lock). Default: ignored. */
  readonly onError?: (error: CoordinationError) => void;
}

const NAMESPACE = /^[\w.-]+(?::[\w.-]+)*$/;

const positive = (options: RedisCoordinatorOptions, name: keyof RedisCoordinatorOptions, fallback: number): number => {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`redisCoordinator: ${name} must be a positive whole number`);
  }
  return value;
};

/**
 * Creates the coordinator; connecting starts at once and never throws (operations fail, bounded
 * by `opTimeoutMs`, until Redis answers; the plugin then runs requests on its own). `close()`
 * ends the claims, destroys the subscriber and readers, and gives the shared connection at most
 * `closeTimeoutMs` (then destroys it and reports a CoordinationError 'close'), so it ends also
 * when Redis is frozen, unreachable or restarting; it never rejects. Throws a TypeError for
 * invalid options.
 */
export const redisCoordinator = (options: RedisCoordinatorOptions = {}): Coordinator => {
  const { url, client, namespace = 'dialogue', onError = () => undefined } = options;
  if (url !== undefined && client !== undefined) throw new TypeError('redisCoordinator: pass url or client, not both');
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) throw new TypeError('redisCoordinator: invalid namespace');
  const replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (typeof replicaId !== 'string' || !/^[\w.-]+$/.test(replicaId)) throw new TypeError('redisCoordinator: replicaId must be letters, digits, _ . -');
  const opTimeoutMs = positive(options, 'opTimeoutMs', 1000);
  const closeTimeoutMs = positive(options, 'closeTimeoutMs', 500);
  const settings = {
    blockMs: positive(options, 'blockMs', 500),
    opTimeoutMs,
    streamMaxLen: positive(options, 'streamMaxLen', 10_000),
    streamTtlMs: positive(options, 'streamTtlMs', 30_000),
  };
  const lockTtlMs = positive(options, 'lockTtlMs', 3000);
  const cancelWaitMs = positive(options, 'cancelWaitMs', 250);

  const connection = openConnection({ url, client, opTimeoutMs, closeTimeoutMs, onError });
  const keys = redisKeys(namespace);
  const cancels = cancelChannel({ connection, keys, replicaId, cancelWaitMs, onError });
  const claims = new Set<() => void>();
  let closing: Promise<void> | undefined;

  const claim = (key: string, claimOptions?: { readonly takeover?: boolean }): Observable<FlightClaim> =>
    new Observable<FlightClaim>((subscriber) => {
      const inner = claimFlight(key, claimOptions?.takeover === true, { connection, keys, replicaId, lockTtlMs, settings, onError }).subscribe(subscriber);
      const end = (): void => {
        claims.delete(end);
        inner.unsubscribe();
      };
      claims.add(end);
      return end;
    });

  return {
    replicaId,
    cancelOrders: () => cancels.orders(),
    broadcastCancel: (requestId) => cancels.broadcast(requestId),
    cancelAnywhere: (requestId) => cancels.cancelAnywhere(requestId),
    claim,
    close: () => (closing ??= (async () => {
      for (const end of [...claims]) end();
      cancels.close();
      await connection.close();
    })()),
  };
};
