/**
 * The server's request listener: CORS headers, routing (404, 405 with `Allow`, preflight),
 * authentication (401), then the route's handler. Anything a handler throws becomes an error
 * response: an `HttpError` as itself, anything else as a generic 500 (reported to `onError`).
 * When a body was left unread (413, or an error before reading it), the response says
 * `Connection: close`, so the rest of the body is not read to keep the connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerPreflight, applyCors, type CorsOptions } from './cors';
import { unauthorized } from './auth';
import { HttpError, internalError } from './http-error';
import { ClientGoneError } from './read-json-body';
import { sendError } from './respond';
import type { Route, ServerContext } from './route';
import { matchRoute, pathOf } from './router';

/** How the listener decides what to let through. */
export interface RequestPolicy {
  /** True when the `Authorization` header may use non-open routes. */
  readonly authorize: (authorization: string | undefined) => boolean;
  readonly cors: CorsOptions | undefined;
  readonly onError: (error: unknown) => void;
}

/** True when the request announced a body that was not read to its end. */
const bodyLeftUnread = (req: IncomingMessage): boolean =>
  !req.complete && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);

const fail = (req: IncomingMessage, res: ServerResponse, error: unknown, onError: (error: unknown) => void): void => {
  if (error instanceof ClientGoneError) return;
  if (!HttpError.isInstance(error)) onError(error);
  if (bodyLeftUnread(req) && !res.headersSent) res.setHeader('connection', 'close');
  sendError(res, HttpError.isInstance(error) ? error : internalError());
};

/** Creates the listener for `routes`, sharing `server` with every handler. */
export const createRequestHandler = (routes: readonly Route[], server: ServerContext, policy: RequestPolicy) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (policy.cors !== undefined) applyCors(res, policy.cors);
      const method = req.method ?? 'GET';
      const match = matchRoute(routes, method, pathOf(req.url));
      if (match.kind === 'not-found') throw new HttpError(404, `No route for ${method} ${pathOf(req.url)?.slice(0, 200) ?? 'this target'}`, 'not_found');
      if (match.kind === 'method-not-allowed') {
        const allow = policy.cors === undefined ? match.allow : [...match.allow, 'OPTIONS'];
        if (method === 'OPTIONS' && policy.cors !== undefined) return answerPreflight(res, allow);
        throw new HttpError(405, `Method ${method} is not allowed here; use ${allow.join(', ')}`, 'method_not_allowed', { allow: allow.join(', ') });
      }
      if (match.route.open !== true && !policy.authorize(req.headers.authorization)) throw unauthorized();
      await match.route.handler({ req, res, params: match.params, server });
    } catch (error) {
      fail(req, res, error, policy.onError);
    }
  };
