/**
 * The coordinator's connections to Redis: one shared command connection (locks, appends,
 * publishes; node-redis pipelines what is sent in the same tick) and dedicated connections for
 * what blocks a connection (the cancel subscriber, each blocking log reader).
 *
 * Every operation is bounded: it errors with a {@link CoordinationError} when Redis refuses it
 * or does not answer within `opTimeoutMs`. Our own connections run without an offline queue
 * (a command while Redis is down fails at once) and reconnect by themselves (50 ms doubling up
 * to 1 s, until `close()`); dedicated reader connections never reconnect (their reader ends
 * instead). `close()` is bounded too (`closeTimeoutMs`): past it the sockets are destroyed.
 */
import { createClient, type RedisClientType } from '@redis/client';
import { catchError, defer, finalize, from, throwError, timeout, type Observable } from 'rxjs';
import { inFlight } from '../in-flight';
import { CoordinationError, coordinationError, type CoordinationOperation } from './coordination-error';
import { followAttempts } from './connection-attempts';
import { settleWithin } from './deadline';

/** The node-redis client type the coordinator works with. */
export type RedisClient = RedisClientType;

/** Options of {@link openConnection}. */
export interface ConnectionOptions {
  readonly url?: string;
  /** A client the caller owns: used for commands, duplicated for dedicated connections, never closed. */
  readonly client?: RedisClient;
  readonly opTimeoutMs: number;
  /** Bound on `close()`: waiting for a connection attempt under way and for the commands in flight. */
  readonly closeTimeoutMs: number;
  /** Background failures (connection errors, failed fire-and-forget commands). */
  readonly onError: (error: CoordinationError) => void;
}

/** The shared connection and a factory of dedicated ones. */
export interface RedisConnection {
  /** Runs one command on the shared connection, bounded by `opTimeoutMs`. */
  run<T>(operation: CoordinationOperation, command: (client: RedisClient) => Promise<T>): Observable<T>;
  /** Fire and forget on the shared connection; a failure goes to `onError`. */
  send(operation: CoordinationOperation, command: (client: RedisClient) => Promise<unknown>): void;
  /**
   * A new connected connection of its own. `reconnect: false` (blocking readers): connecting is
   * bounded by `opTimeoutMs` and a lost connection stays lost. `reconnect: true` (subscribers):
   * resolves whenever Redis can first be reached, and node-redis reconnects (and resubscribes)
   * after every loss, until `close()`.
   */
  dedicated(operation: CoordinationOperation, reconnect: boolean): Promise<RedisClient>;
  /**
   * Destroys the dedicated connections, waits (at most `closeTimeoutMs`) for a connection attempt
   * under way and the commands in flight on the shared one, then destroys it (a borrowed client
   * is left open); past the deadline it reports a CoordinationError 'close'. Never rejects.
   */
  close(): Promise<void>;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const CONNECT_TIMEOUT_MS = 2000;
const reconnectDelay = (retries: number): number => Math.min(50 * 2 ** retries, 1000);

/** Rejects with a CoordinationError when `promise` takes longer than `ms`; calls `onTimeout` then. */
export const within = <T>(promise: Promise<T>, ms: number, operation: CoordinationOperation, onTimeout: () => void = () => undefined): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new CoordinationError(operation, `coordination ${operation} took longer than ${ms} ms`));
    }, ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error: unknown) => { clearTimeout(timer); reject(coordinationError(operation, error)); },
    );
  });

/** Opens (or adopts) the shared connection. Connecting starts at once and never throws. */
export const openConnection = ({ url, client: borrowed, opTimeoutMs, closeTimeoutMs, onError }: ConnectionOptions): RedisConnection => {
  const reportConnection = (error: unknown): void => onError(coordinationError('connect', error));
  let closing: Promise<void> | undefined;
  // Once closing, a lost connection stays lost: no reconnect (and no reconnect timer) outlives close().
  const reconnectStrategy = (retries: number): number | false => (closing === undefined ? reconnectDelay(retries) : false);
  const client: RedisClient = borrowed ?? createClient({
    url: url ?? DEFAULT_URL,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy },
  });
  if (borrowed === undefined) {
    client.on('error', reportConnection);
    client.connect().catch(reportConnection);
  }
  const attempts = borrowed === undefined ? followAttempts(client) : undefined;
  const dedicatedOnes = new Set<RedisClient>();

  // The first commands wait for the first connection attempt (bounded below), not fail while it is under way.
  // Once it has settled, commands are sent synchronously, so commands keep the order they were given in.
  let attempted = false;
  const firstAttempt = settled(client).then(() => { attempted = true; });
  // What close() waits for: commands whose callers still wait (one given up on is dropped from it).
  const pending = inFlight();
  const run = <T>(operation: CoordinationOperation, command: (client: RedisClient) => Promise<T>): Observable<T> => defer(() => {
    if (closing !== undefined) return throwError(() => new CoordinationError(operation, 'the coordinator is closed'));
    const reply = attempted ? command(client) : firstAttempt.then(() => command(client));
    const done = pending.add();
    reply.then(done, done);
    return from(reply).pipe(finalize(done));
  }).pipe(
    timeout({ first: opTimeoutMs, with: () => throwError(() => new CoordinationError(operation, `coordination ${operation} took longer than ${opTimeoutMs} ms`)) }),
    catchError((error: unknown) => throwError(() => coordinationError(operation, error))),
  );

  const dedicated = async (operation: CoordinationOperation, reconnect: boolean): Promise<RedisClient> => {
    if (closing !== undefined) throw new CoordinationError(operation, 'the coordinator is closed');
    const socket = { ...client.options?.socket, reconnectStrategy: reconnect ? reconnectStrategy : false as const };
    const own = client.duplicate({ disableOfflineQueue: true, socket }) as RedisClient;
    own.on('error', () => undefined); // its failures surface as failed commands of its owner
    dedicatedOnes.add(own);
    const forget = (): void => void dedicatedOnes.delete(own);
    own.on('end', () => {
      if (!own.isOpen) forget(); // closed for good (a reconnecting subscriber stays open)
    });
    try {
      await (reconnect ? own.connect() : within(own.connect(), opTimeoutMs, operation, () => own.destroy()));
      if (closing !== undefined) throw new CoordinationError(operation, 'the coordinator is closed');
      return own;
    } catch (error) {
      forget();
      if (own.isOpen) own.destroy();
      throw error;
    }
  };

  return {
    run,
    send: (operation, command) => {
      run(operation, command).subscribe({ error: (error: unknown) => onError(coordinationError(operation, error)) });
    },
    dedicated,
    close: () => (closing ??= (async () => {
      for (const own of dedicatedOnes) if (own.isOpen) own.destroy();
      dedicatedOnes.clear();
      if (borrowed !== undefined) return;
      client.off('error', reportConnection);
      client.on('error', () => undefined);
      // Not client.close(): it waits for every queued reply (also of commands given up on), and
      // after it destroy() is refused. Destroying mid-connect could leave the new socket open.
      const ended = (attempts?.idle() ?? Promise.resolve()).then(() => pending.drained());
      await settleWithin(ended, closeTimeoutMs, () => {
        onError(new CoordinationError('close', `Redis did not answer within ${closeTimeoutMs} ms while closing; the connection was dropped`));
      });
      attempts?.stop();
      if (client.isOpen) client.destroy();
    })()),
  };
};

/** Settles once `client` is ready or its current connection attempt failed (at once when it is ready or closed). */
const settled = (client: RedisClient): Promise<void> => new Promise<void>((resolve) => {
  if (client.isReady || !client.isOpen) return resolve();
  const done = (): void => {
    client.off('ready', done);
    client.off('error', done);
    resolve();
  };
  client.on('ready', done);
  client.on('error', done);
});
