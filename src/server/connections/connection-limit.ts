/**
 * A cap on open connections that a flood of slow or silent ones cannot use to lock others out.
 *
 * Node's own `server.maxConnections` refuses the NEWEST connection once the cap is reached: 400
 * sockets that never send a header then keep everyone else out until they time out. Here, when
 * the cap is reached, the OLDEST connection that is not serving a request (it has sent no
 * complete header yet, or sits idle between keep-alive requests) is closed to make room, and
 * only when every open connection is serving a request is the new one refused. A real client
 * sends its header at once, so it is never the oldest idle one for long; a stalled socket is.
 * Sockets serving a request are never touched: their time limits are the timeouts'.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The soft limit on open files of this process (Linux, from /proc), or undefined where it cannot be read. */
export const openFileLimit = (read: (path: string) => string = (path) => readFileSync(path, 'utf8')): number | undefined => {
  try {
    const line = read('/proc/self/limits').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.trim().split(/\s{2,}/)[1]);
    return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The default cap: 512, or half the process's file-descriptor limit when that is lower (at least
 * 16), leaving the other half for upstream sockets, cache files and the like. A process limited
 * to 256 descriptors gets 128.
 */
export const defaultMaxConnections = (limit: number | undefined = openFileLimit()): number =>
  (limit === undefined ? 512 : Math.max(16, Math.min(512, Math.floor(limit / 2))));

/** What the cap did, for metrics and logs. */
export type ConnectionDrop = 'evicted' | 'refused';

/** Counts of the connections the limiter follows. */
export interface ConnectionStats {
  /** Open connections. */
  readonly open: number;
  /** Of those, the ones serving no request. */
  readonly idle: number;
}

/** Caps `server` at `max` connections; `onDrop` is told about every connection closed to keep the cap. */
export const limitConnections = (server: Server, max: number, onDrop: (how: ConnectionDrop) => void): ConnectionStats => {
  const open = new Set<Socket>();
  // Insertion order is age: a socket re-enters at the end each time it becomes idle.
  const idle = new Set<Socket>();
  const serving = new Map<Socket, number>();

  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      const oldest = idle.values().next();
      if (oldest.done === true) {
        onDrop('refused');
        socket.destroy();
        return;
      }
      open.delete(oldest.value);
      idle.delete(oldest.value);
      oldest.value.destroy();
      onDrop('evicted');
    }
    open.add(socket);
    idle.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      idle.delete(socket);
      serving.delete(socket);
    });
  });

  server.on('request', (req, res) => {
    const socket = req.socket;
    if (!open.has(socket)) return;
    idle.delete(socket);
    serving.set(socket, (serving.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (serving.get(socket) ?? 1) - 1;
      if (left > 0) return void serving.set(socket, left);
      serving.delete(socket);
      if (open.has(socket) && !socket.destroyed) idle.add(socket);
    });
  });

  return { get open() { return open.size; }, get idle() { return idle.size; } };
};
