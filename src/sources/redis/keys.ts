/**
 * Where the coordinator keeps things in Redis. Every name starts with the namespace:
 *
 *     <ns>:cancel                      channel: cancel orders {id, from, nonce?}
 *     <ns>:cancel-reply:<replicaId>    channel: replies to one replica's cancelAnywhere {nonce, running}
 *     <ns>:flight:{<key>}:lock            string: "<replicaId>/<flightId>" of the leader, PX lockTtlMs
 *     <ns>:flight:{<key>}:log:<flightId>  stream: the leader's records, MAXLEN ~ streamMaxLen, PX streamTtlMs
 *
 * (The braces put a flight's lock and log in one Redis Cluster hash slot, for the scripts.)
 * A new leader (also a takeover) gets a new flightId and so a fresh log: a stale or
 * half-written log of an earlier leader is never appended to.
 */

/** The key and channel names of one namespace. */
export interface RedisKeys {
  readonly cancelChannel: string;
  replyChannel(replicaId: string): string;
  lock(key: string): string;
  log(key: string, flightId: string): string;
}

/** Names under `namespace`. */
export const redisKeys = (namespace: string): RedisKeys => ({
  cancelChannel: `${namespace}:cancel`,
  replyChannel: (replicaId) => `${namespace}:cancel-reply:${replicaId}`,
  lock: (key) => `${namespace}:flight:{${key}}:lock`,
  log: (key, flightId) => `${namespace}:flight:{${key}}:log:${flightId}`,
});

/** The lock's value: who leads, and which log it writes. */
export const lockValue = (replicaId: string, flightId: string): string => `${replicaId}/${flightId}`;

/** The flightId in a lock value (undefined when malformed). */
export const flightIdOf = (value: string): string | undefined => {
  const at = value.lastIndexOf('/');
  return at > 0 && at < value.length - 1 ? value.slice(at + 1) : undefined;
};
