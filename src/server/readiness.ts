/**
 * Readiness, as `GET /readyz` (and the `dialogue_ready` gauge) report it. A server is not ready:
 *
 * - from the moment `gracefulShutdown` starts (draining), so a load balancer stops sending it
 *   new requests before the ones in flight are cancelled and drained;
 * - while the cache it was given does not answer a probe: a `get` of {@link READINESS_PROBE_KEY}
 *   (never written: real keys are SHA-256 hex), within `timeoutMs`. A `get` changes nothing, so
 *   probing as often as a load balancer likes has no side effect. An answer (found or not) is
 *   ready; an error, or no answer in time, is not.
 *
 * `/healthz` stays the liveness check: it answers 200 as long as the process serves.
 */
import type { Server } from 'node:http';
import { catchError, defaultIfEmpty, defer, map, of, take, timeout, type Observable } from 'rxjs';
import type { ResponseCache } from '../index';

/** The key a readiness probe reads from the cache. */
export const READINESS_PROBE_KEY = 'dialogue-pipeline:readiness-probe';

/** Default deadline of the cache probe, in ms: well under a load balancer's own probe timeout (Kubernetes' default is 1 s). */
export const DEFAULT_READINESS_TIMEOUT_MS = 500;

/** The server's `readiness` option. */
export interface ReadinessOptions {
  /** The plugin's cache (the same object the plugin was given): `/readyz` is 503 while it fails to answer. Default: none. */
  readonly cache?: Pick<ResponseCache, 'get'>;
  /** How long the probe waits for the cache, in ms; default {@link DEFAULT_READINESS_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** Why a server is not ready. */
export type UnreadyReason = 'draining' | 'cache-error' | 'cache-timeout';

/** The outcome of one readiness check. */
export type ReadinessVerdict =
  | { readonly ready: true }
  | { readonly ready: false; readonly reason: UnreadyReason; readonly message: string };

const READY: ReadinessVerdict = { ready: true };

const unready = (reason: UnreadyReason, message: string): ReadinessVerdict => ({ ready: false, reason, message });

const drainingServers = new WeakSet<Server>();

/** Marks `server` as draining: not ready from now on. Called by `gracefulShutdown`. */
export const markDraining = (server: Server): void => {
  drainingServers.add(server);
};

/** True once `gracefulShutdown` has started on `server`. */
export const isDraining = (server: Server): boolean => drainingServers.has(server);

/**
 * One readiness check: emits one verdict, then completes (in at most `timeoutMs`). Draining is
 * answered at once, without probing. The messages name no address or error text (the route is open).
 */
export const checkReadiness = (draining: () => boolean, { cache, timeoutMs = DEFAULT_READINESS_TIMEOUT_MS }: ReadinessOptions): Observable<ReadinessVerdict> =>
  defer(() => {
    if (draining()) return of(unready('draining', 'The server is shutting down'));
    if (cache === undefined) return of(READY);
    return defer(() => cache.get(READINESS_PROBE_KEY)).pipe(
      take(1),
      defaultIfEmpty(undefined),
      map(() => READY),
      timeout({ first: timeoutMs, with: () => of(unready('cache-timeout', `The cache did not answer within ${timeoutMs} ms`)) }),
      catchError(() => of(unready('cache-error', 'The cache failed to answer'))),
    );
  });
