/**
 * The server's error responses: an HTTP status plus the OpenAI error body
 * `{ error: { message, type, code } }` (plus `param`, the request parameter at fault, when there
 * is one), used by every route (OpenAI clients read it, and one
 * shape is simpler for everyone else too).
 */

/** The `type` of an error body, as OpenAI names them (`requests`: a rate limit on requests, status 429). */
export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'requests' | 'server_error';

/** The JSON body of an error response. */
export interface ErrorBody { readonly error: { readonly message: string; readonly type: ErrorType; readonly code: string; readonly param?: string } }

const typeFor = (status: number): ErrorType => {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'requests';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
};

const MARKER = Symbol.for('dialogue-pipeline.server.HttpError');

/** An error a route throws (or a helper rejects with) to answer with `status` and an error body; the message is shown to the client. */
export class HttpError extends Error {
  readonly _tag = 'HttpError' as const;
  readonly [MARKER] = true;
  /** The error body's `type`, derived from the status. */
  readonly type: ErrorType;

  constructor(
    readonly status: number,
    message: string,
    /** Machine-readable, snake_case (`invalid_json`, `body_too_large`, ...). */
    readonly code: string,
    /** Extra response headers (`Allow`, `WWW-Authenticate`, `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** The request parameter at fault (OpenAI's `param`, e.g. `n`); absent when none is. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'HttpError';
    this.type = typeFor(status);
  }

  /** True for an HttpError, also one from another copy of the package. */
  static isInstance(value: unknown): value is HttpError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** The JSON body of this error. */
  body(): ErrorBody {
    const { message, type, code, param } = this;
    return { error: param === undefined ? { message, type, code } : { message, type, code, param } };
  }
}

/** The 500 answered for anything that is not an HttpError: a generic message, never the error's. */
export const internalError = (): HttpError => new HttpError(500, 'Internal server error', 'internal_error');
