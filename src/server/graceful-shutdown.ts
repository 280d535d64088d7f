/**
 * Stopping a dialogue server and its plugin without cutting anyone off mid-message:
 *
 * 1. draining: `GET /readyz` answers 503 from this moment (`/healthz` stays 200), so load
 *    balancers take the server out of rotation; for `unreadyMs` (default 0) it goes on serving,
 *    new requests included, while they notice;
 * 2. `server.close()`: no new connections (idle keep-alive ones close at once);
 * 3. `plugin.cancelAll()`: every request in flight ends with `cancelled`, which its client
 *    receives (SSE event, OpenAI error chunk or 503) before its response ends;
 * 4. `plugin.close()`: waits for pending cache writes and closes the cache;
 * 5. waits until every open response has ended (at most `drainMs`), then
 *    `server.closeAllConnections()`, so nothing keeps the process alive.
 *
 * Call it before `listen`: it follows every request from the start to know which responses are open.
 */
import type { Server, ServerResponse } from 'node:http';
import type { DialoguePlugin } from '../index';
import { markDraining } from './readiness';

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** How long to wait for open responses to end after the cancellation; default 3000 ms. */
  readonly drainMs?: number;
  /** How long to keep serving, unready, before closing and cancelling (time for load balancers to stop sending requests); default 0 ms. */
  readonly unreadyMs?: number;
  /** Runs `run` after `ms`; default `setTimeout`. For tests. */
  readonly later?: (ms: number, run: () => void) => void;
}

/** Starts following `server`'s responses; returns the shutdown, which runs once (later calls get the same promise). */
export function gracefulShutdown(server: Server, plugin: Pick<DialoguePlugin, 'cancelAll' | 'close'>, options: GracefulShutdownOptions = {}): () => Promise<void> {
  const { drainMs = 3000, unreadyMs = 0, later = (ms, run) => void setTimeout(run, ms) } = options;
  const open = new Set<ServerResponse>();
  let drained: (() => void) | undefined;
  server.on('request', (_req, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) drained?.();
    });
  });
  const allEnded = (): Promise<void> => new Promise((resolve) => {
    if (open.size === 0) return resolve();
    const timer = setTimeout(resolve, drainMs);
    drained = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  let shutdown: Promise<void> | undefined;
  const run = async (): Promise<void> => {
    markDraining(server);
    if (unreadyMs > 0) await new Promise<void>((resolve) => later(unreadyMs, resolve));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    plugin.cancelAll();
    await plugin.close();
    await allEnded();
    server.closeAllConnections();
    await closed;
  };
  return () => (shutdown ??= run());
}
