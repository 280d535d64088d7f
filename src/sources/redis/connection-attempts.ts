/**
 * Whether a node-redis v5 client is in the middle of a connection attempt. Destroying a client
 * then is not safe: while the TCP connect is under way the client holds no socket yet, so
 * `destroy()` cannot reach it, and the socket, once connected, goes through the handshake and
 * stays open, unowned. Between attempts (waiting out the reconnect back-off) and once ready,
 * `destroy()` ends everything.
 *
 * node-redis emits 'reconnecting' right before each attempt after the first, and 'ready' or
 * 'error' when an attempt ends (a socket lost while ready: 'error', then 'reconnecting').
 */

/** The part of a node-redis client this needs. */
interface ClientEvents {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Follows a client's attempts; see the file comment. */
export interface ConnectionAttempts {
  /** Resolves at once when no attempt is under way, else when the one under way ends. */
  idle(): Promise<void>;
  /** Removes the listeners (and settles `idle` waiters). */
  stop(): void;
}

/** Starts following `client`; call it right after `client.connect()`. */
export const followAttempts = (client: ClientEvents): ConnectionAttempts => {
  let attempting = client.isOpen && !client.isReady;
  let waiters: Array<() => void> = [];
  const start = (): void => {
    attempting = true;
  };
  const end = (): void => {
    attempting = false;
    const settled = waiters;
    waiters = [];
    settled.forEach((resolve) => resolve());
  };
  client.on('reconnecting', start);
  client.on('ready', end);
  client.on('error', end);
  return {
    idle: () => (attempting ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()),
    stop: () => {
      client.off('reconnecting', start);
      client.off('ready', end);
      client.off('error', end);
      end();
    },
  };
};
