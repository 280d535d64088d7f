/** Writing whole (non-streamed) responses: JSON bodies and error bodies. */
import type { ServerResponse } from 'node:http';
import { HttpError } from './http-error';

/** Content type of every JSON response. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Answers `status` with `body` as JSON (and `headers`). When the headers are already sent (a
 * stream was open), nothing more can be said: the response is just ended.
 */
export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
  if (res.writableEnded || res.destroyed) return;
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': JSON_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  res.end(text);
};

/** Answers with the error's status, headers and body. */
export const sendError = (res: ServerResponse, error: HttpError): void =>
  sendJson(res, error.status, error.body(), error.headers);

/** Answers 204 No Content. */
export const sendNoContent = (res: ServerResponse): void => {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(204);
  res.end();
};
