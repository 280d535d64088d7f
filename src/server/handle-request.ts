/**
 * The server's request listener, in this order: CORS headers; the Host check (421, see
 * `guards/allowed-hosts.ts`); cross-site refusals (403 foreign Origin or `Sec-Fetch-Site:
 * cross-site`, 415 form content types: `guards/cross-site.ts`); routing (404, 405 with `Allow`,
 * preflight); authentication: the caller's tenant from the API key (401), or the metrics key on
 * `/metrics`; then the route's handler. Anything a handler throws becomes an error response: an
 * `HttpError` as itself, anything else as a generic 500 (logged, and reported to `onError`).
 * When a body was left unread (413, 408, or an error before reading it), the response says
 * `Connection: close`, so the rest of the body is not read to keep the connection.
 *
 * Every request gets one log line when its response closes (`logging/request-record.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerPreflight, applyCors, type CorsOptions } from './cors';
import { unauthorized } from './auth';
import { createHostCheck, misdirected, type HostCheck } from './guards/allowed-hosts';
import { crossSiteRefusal } from './guards/cross-site';
import { HttpError, internalError } from './http-error';
import { logFields, type RequestRecord } from './logging/request-record';
import type { ServerLog } from './logging/server-logger';
import { ClientGoneError } from './read-json-body';
import { sendError } from './respond';
import type { Route, ServerContext } from './route';
import { matchRoute, pathOf } from './router';
import type { KeyRing } from './tenancy/api-keys';

/** How the listener decides what to let through. */
export interface RequestPolicy {
  /** The API keys and their tenants. */
  readonly keys: KeyRing;
  /** The check of the metrics key, when one is configured. */
  readonly metricsKey?: (authorization: string | undefined) => boolean;
  /** The Host check; default: loopback names and the connection's own address only. */
  readonly hosts?: HostCheck;
  readonly cors: CorsOptions | undefined;
  readonly log: ServerLog;
  readonly onError: (error: unknown) => void;
}

/** True when the request announced a body that was not read to its end. */
const bodyLeftUnread = (req: IncomingMessage): boolean =>
  !req.complete && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);

const metricsKeyRequired = (): HttpError =>
  new HttpError(403, 'GET /metrics needs the metrics key on a server with several tenants (option metricsKey, DIALOGUE_METRICS_KEY)', 'metrics_key_required');

/** The caller's tenant for `route` (undefined on open routes and for the metrics key); throws 401 or 403. */
const authenticate = (route: Route, authorization: string | undefined, policy: RequestPolicy): string | undefined => {
  if (route.open === true) return undefined;
  if (route.access === 'metrics') {
    if (policy.metricsKey !== undefined) {
      if (!policy.metricsKey(authorization)) throw unauthorized();
      return undefined;
    }
    if (policy.keys.tenantCount > 1) throw metricsKeyRequired();
  }
  const tenant = policy.keys.tenantOf(authorization);
  if (tenant === undefined) throw unauthorized();
  return tenant;
};

/** Creates the listener for `routes`, sharing `server` with every handler. */
export const createRequestHandler = (routes: readonly Route[], server: ServerContext, policy: RequestPolicy) => {
  const hosts = policy.hosts ?? createHostCheck();
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    if (error instanceof ClientGoneError) return;
    if (!HttpError.isInstance(error)) {
      policy.log.error('route error', error);
      policy.onError(error);
    }
    if (bodyLeftUnread(req) && !res.headersSent) res.setHeader('connection', 'close');
    sendError(res, HttpError.isInstance(error) ? error : internalError());
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const record: RequestRecord = {};
    const method = req.method ?? 'GET';
    res.once('close', () => {
      const fields = logFields(method, res.statusCode, performance.now() - started, res.writableFinished, record);
      policy.log.request(res.statusCode >= 500 ? 'error' : 'info', fields);
    });
    try {
      if (policy.cors !== undefined) applyCors(res, policy.cors);
      if (!hosts(req.headers.host, req.socket.localAddress)) throw misdirected();
      const refusal = crossSiteRefusal(req, policy.cors);
      if (refusal !== undefined) throw refusal;
      const match = matchRoute(routes, method, pathOf(req.url));
      if (match.kind === 'not-found') throw new HttpError(404, `No route for ${method} ${pathOf(req.url)?.slice(0, 200) ?? 'this target'}`, 'not_found');
      if (match.kind === 'method-not-allowed') {
        const allow = policy.cors === undefined ? match.allow : [...match.allow, 'OPTIONS'];
        if (method === 'OPTIONS' && policy.cors !== undefined) return answerPreflight(res, allow);
        throw new HttpError(405, `Method ${method} is not allowed here; use ${allow.join(', ')}`, 'method_not_allowed', { allow: allow.join(', ') });
      }
      record.route = match.route.path;
      const tenant = authenticate(match.route, req.headers.authorization, policy);
      record.tenant = tenant;
      await match.route.handler({ req, res, params: match.params, server, tenant, record });
    } catch (error) {
      fail(req, res, error);
    }
  };
};
