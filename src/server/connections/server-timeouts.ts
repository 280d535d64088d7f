/**
 * The server's time limits, all in ms, 0 = off (Node's meaning):
 *
 * | option | default | what | enforced by |
 * | --- | --- | --- | --- |
 * | `headersMs` | 10000 | from connecting (or the previous response) to the end of the request headers | Node `headersTimeout` (408, then close) |
 * | `requestMs` | 30000 | to the end of the whole request, body included | Node `requestTimeout` (408, then close) |
 * | `bodyMs` | 10000 | reading a JSON body, once the headers are in | the route (408 JSON error, then close) |
 * | `keepAliveMs` | 5000 | idle between requests on one connection | Node `keepAliveTimeout` |
 * | `idleMs` | 180000 | no byte in or out on a socket, whatever it is doing | Node `server.timeout` (the socket is destroyed) |
 *
 * Node checks `headersMs` and `requestMs` every `connectionsCheckingInterval`, set here to a
 * quarter of the smaller one (at most 1 s), so a limit is never overshot by more than that.
 * `idleMs` must outlast the longest silence of a healthy request: the SSE routes send a heartbeat
 * every `heartbeatMs`; a non-streamed chat completion is silent until the answer (the plugin's
 * `timeouts.totalMs`, 120 s by default).
 */
import type { Server, ServerOptions } from 'node:http';

/** The `timeouts` option. */
export interface ServerTimeoutOptions {
  readonly headersMs?: number;
  readonly requestMs?: number;
  readonly bodyMs?: number;
  readonly keepAliveMs?: number;
  readonly idleMs?: number;
}

/** The timeouts after defaults. */
export type ResolvedTimeouts = Required<ServerTimeoutOptions>;

/** The defaults. */
export const DEFAULT_TIMEOUTS: ResolvedTimeouts = { headersMs: 10_000, requestMs: 30_000, bodyMs: 10_000, keepAliveMs: 5_000, idleMs: 180_000 };

/** Node's `createServer` options for `timeouts`. */
export const timeoutServerOptions = (t: ResolvedTimeouts): ServerOptions => {
  const checked = [t.headersMs, t.requestMs].filter((ms) => ms > 0);
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    ...(checked.length === 0 ? {} : { connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.floor(Math.min(...checked) / 4))) }),
  };
};

/** Applies what `createServer` does not take as an option. */
export const applyIdleTimeout = (server: Server, t: ResolvedTimeouts): void => {
  server.setTimeout(t.idleMs);
};

/** Problems with the `timeouts` option. */
export const timeoutsProblems = (value: unknown): string[] => {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null) return ['timeouts must be an object { headersMs?, requestMs?, bodyMs?, keepAliveMs?, idleMs? }'];
  const given = value as Record<string, unknown>;
  const problems = (Object.keys(DEFAULT_TIMEOUTS) as Array<keyof ResolvedTimeouts>)
    .filter((name) => given[name] !== undefined && !(Number.isSafeInteger(given[name]) && (given[name] as number) >= 0))
    .map((name) => `timeouts.${name} must be an integer >= 0 (ms; 0 = off)`);
  const headers = (given.headersMs as number | undefined) ?? DEFAULT_TIMEOUTS.headersMs;
  const request = (given.requestMs as number | undefined) ?? DEFAULT_TIMEOUTS.requestMs;
  if (problems.length === 0 && headers > 0 && request > 0 && headers > request) problems.push('timeouts.headersMs must not exceed timeouts.requestMs');
  return problems;
};
