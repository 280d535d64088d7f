/**
 * Refusing what a foreign web page can make a browser send (cross-site request forgery):
 *
 * - an `Origin` that is neither this server's own (same scheme-less host and port as `Host`) nor
 *   the configured CORS origin: 403, on every route (`Origin: null`, from sandboxed frames and
 *   local files, included);
 * - on state-changing methods, `Sec-Fetch-Site: cross-site` unless the origin is the CORS one: 403;
 * - on state-changing methods, the content types a plain HTML form can send
 *   (`application/x-www-form-urlencoded`, `multipart/form-data`, `text/plain`): 415. JSON routes
 *   need `application/json` anyway; this covers the bodiless ones (`/api/cancel/:id`) too.
 *
 * Requests without these headers (curl, SDKs, servers) pass: only browsers add them, and
 * browsers always add `Origin` to a cross-origin POST.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http-error';
import type { CorsOptions } from '../cors';
import { parseHost } from './allowed-hosts';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_TYPES: ReadonlySet<string> = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

const forbidden = (message: string): HttpError => new HttpError(403, message, 'cross_site_request');

/** True when `origin` (an Origin header) is the server that `host` (the Host header) names. */
const sameOrigin = (origin: string, host: string | undefined): boolean => {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const ours = host === undefined ? undefined : parseHost(host);
  const theirs = parseHost(url.host);
  if (ours === undefined || theirs === undefined || url.origin !== origin.toLowerCase()) return false;
  const port = (p: string | undefined): string | undefined => p ?? DEFAULT_PORTS[url.protocol];
  return ours.name === theirs.name && port(ours.port) === port(theirs.port);
};

/** The error to answer `req` with, or undefined when it may go on. */
export const crossSiteRefusal = (req: IncomingMessage, cors: CorsOptions | undefined): HttpError | undefined => {
  const origin = req.headers.origin;
  const corsAllowed = cors !== undefined && (cors.origin === '*' || cors.origin === origin);
  if (origin !== undefined && !corsAllowed && !sameOrigin(origin, req.headers.host)) {
    return forbidden('Requests from another origin are refused; configure cors to allow one');
  }
  const method = req.method ?? 'GET';
  if (SAFE_METHODS.has(method)) return undefined;
  if (req.headers['sec-fetch-site'] === 'cross-site' && !corsAllowed) return forbidden('Cross-site requests are refused; configure cors to allow one origin');
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
  if (FORM_TYPES.has(type)) return new HttpError(415, 'Content-Type must be application/json (form posts are refused)', 'unsupported_media_type');
  return undefined;
};
