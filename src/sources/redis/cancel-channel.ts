/**
 * Cross-replica cancel over Redis pub/sub. An order `{id, from, nonce?}` goes to the cancel
 * channel; every replica's subscriber hands it to its plugin (orders from itself are skipped).
 * With a `nonce` (cancelAnywhere) each receiver replies `{nonce, running}` on the sender's reply
 * channel; the sender knows from PUBLISH how many replicas heard it, so it resolves true at the
 * first `running: true`, false once all replied no, and false after `cancelWaitMs` at worst.
 */
import { randomUUID } from 'node:crypto';
import { Observable, Subject, map, type Subscription } from 'rxjs';
import type { RemoteCancel } from '../../ports';
import { coordinationError, type CoordinationError } from './coordination-error';
import type { RedisClient, RedisConnection } from './connection';
import type { RedisKeys } from './keys';

/** Options of {@link cancelChannel}. */
export interface CancelChannelOptions {
  readonly connection: RedisConnection;
  readonly keys: RedisKeys;
  readonly replicaId: string;
  readonly cancelWaitMs: number;
  readonly onError: (error: CoordinationError) => void;
}

/** The cancel side of the coordinator. */
export interface CancelChannel {
  orders(): Observable<RemoteCancel>;
  broadcast(requestId: string): Observable<void>;
  cancelAnywhere(requestId: string): Observable<boolean>;
  close(): void;
}

interface Order { readonly id: string; readonly from: string; readonly nonce?: string }

const parse = (message: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(message);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const parseOrder = (message: string): Order | undefined => {
  const value = parse(message);
  if (typeof value?.id !== 'string' || typeof value.from !== 'string') return undefined;
  return typeof value.nonce === 'string' ? { id: value.id, from: value.from, nonce: value.nonce } : { id: value.id, from: value.from };
};

/** Cancel orders and replies for one replica. The subscriber connects on first use. */
export const cancelChannel = ({ connection, keys, replicaId, cancelWaitMs, onError }: CancelChannelOptions): CancelChannel => {
  const orders = new Subject<RemoteCancel>();
  const waiting = new Map<string, (running: boolean) => void>();
  let subscriber: Promise<RedisClient> | undefined;

  const onOrder = (message: string): void => {
    const order = parseOrder(message);
    if (order === undefined || order.from === replicaId) return;
    let running = false;
    // Listeners reply synchronously, during this notification.
    orders.next({ requestId: order.id, reply: (had) => { running ||= had; } });
    if (order.nonce === undefined) return;
    const reply = JSON.stringify({ nonce: order.nonce, running });
    connection.send('publish', (client) => client.publish(keys.replyChannel(order.from), reply));
  };

  const onReply = (message: string): void => {
    const value = parse(message);
    if (typeof value?.nonce === 'string') waiting.get(value.nonce)?.(value.running === true);
  };

  const listen = (): Promise<RedisClient> => (subscriber ??= (async () => {
    const client = await connection.dedicated('subscribe', true);
    await client.subscribe(keys.cancelChannel, onOrder);
    await client.subscribe(keys.replyChannel(replicaId), onReply);
    return client;
  })().catch((error: unknown) => {
    subscriber = undefined;
    throw coordinationError('subscribe', error);
  }));

  const publish = (order: Order): Observable<number> =>
    connection.run('publish', (client) => client.publish(keys.cancelChannel, JSON.stringify(order)));

  return {
    orders: () => {
      listen().catch(onError);
      return orders.asObservable();
    },
    broadcast: (requestId) => publish({ id: requestId, from: replicaId }).pipe(map(() => undefined)),
    cancelAnywhere: (requestId) => new Observable<boolean>((result) => {
      const nonce = randomUUID();
      let others: number | undefined;
      let noes = 0;
      const settle = (running: boolean): void => {
        result.next(running);
        result.complete();
      };
      const allSaidNo = (): void => {
        if (others !== undefined && noes >= others) settle(false);
      };
      waiting.set(nonce, (running) => {
        if (running) return settle(true);
        noes++;
        allSaidNo();
      });
      const timer = setTimeout(() => settle(false), cancelWaitMs);
      // PUBLISH counts every subscriber that heard it, this replica's own included.
      let publishing: Subscription | undefined;
      listen().then(
        () => {
          if (result.closed) return;
          publishing = publish({ id: requestId, from: replicaId, nonce }).subscribe({
            next: (heard) => {
              others = heard - 1;
              allSaidNo();
            },
            error: (error: unknown) => result.error(error),
          });
        },
        (error: unknown) => result.error(error),
      );
      return () => {
        clearTimeout(timer);
        waiting.delete(nonce);
        publishing?.unsubscribe();
      };
    }),
    close: () => {
      orders.complete();
      waiting.clear();
    },
  };
};
