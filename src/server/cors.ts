/**
 * CORS, off unless the server is given `cors: { origin }`. Then every response carries
 * `Access-Control-Allow-Origin: <origin>` (and `Vary: Origin`, and exposes `X-Request-Id`), and
 * a preflight `OPTIONS` on a known path is answered 204 with the path's methods, the
 * `Authorization` and `Content-Type` request headers, and a 10-minute max age. Preflights
 * carry no credentials, so they skip authentication.
 */
import type { ServerResponse } from 'node:http';

/** The server's `cors` option. */
export interface CorsOptions {
  /** The allowed origin, e.g. `https://app.example.com`, or `*`. */
  readonly origin: string;
}

/** Adds the headers every response gets when CORS is on. */
export const applyCors = (res: ServerResponse, cors: CorsOptions): void => {
  res.setHeader('access-control-allow-origin', cors.origin);
  res.setHeader('access-control-expose-headers', 'x-request-id');
  if (cors.origin !== '*') res.setHeader('vary', 'Origin');
};

/** Answers a preflight for a path that allows `methods`. */
export const answerPreflight = (res: ServerResponse, methods: readonly string[]): void => {
  res.writeHead(204, {
    'access-control-allow-methods': methods.join(', '),
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
  });
  res.end();
};
