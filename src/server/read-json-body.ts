/**
 * Reads a request's JSON body with a size limit. Checks, in this order: the content type (415
 * unless `application/json` or `application/*+json`, UTF-8), a declared `Content-Length` over the
 * limit (413 before reading anything), then the bytes as they arrive (413 the moment they pass
 * the limit: reading stops there, nothing more is buffered), then UTF-8 and JSON (400 with the
 * parser's message). A body still incomplete `deadlineMs` after the call is a 408 (reading stops
 * there too). A client that goes away mid-body rejects with a {@link ClientGoneError}.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

/** Default of the server's `bodyLimitBytes`: 64 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** The request ended before its body did; there is nobody left to answer. */
export class ClientGoneError extends Error {
  readonly _tag = 'ClientGoneError' as const;
  constructor() {
    super('The client went away while sending the body');
    this.name = 'ClientGoneError';
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

const checkContentType = (header: string | undefined): void => {
  const [type = '', ...params] = (header ?? '').split(';').map((part) => part.trim());
  const charset = params.map((param) => /^charset=("?)([^"]*)\1$/i.exec(param)).find((match) => match !== null)?.[2];
  if (!JSON_TYPE.test(type) || (charset !== undefined && !/^utf-?8$/i.test(charset))) {
    throw new HttpError(415, `Content-Type must be application/json (UTF-8), got ${header === undefined ? 'none' : JSON.stringify(header.slice(0, 100))}`, 'unsupported_media_type');
  }
};

const tooLarge = (limit: number): HttpError =>
  new HttpError(413, `Request body is larger than ${limit} bytes`, 'body_too_large');

const utf8 = new TextDecoder('utf-8', { fatal: true });

const parse = (bytes: Buffer): unknown => {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'Request body is not valid UTF-8', 'invalid_json');
  }
  if (text.trim() === '') throw new HttpError(400, 'Request body is empty; expected a JSON object', 'invalid_json');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `Request body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`, 'invalid_json');
  }
};

const tooSlow = (deadlineMs: number): HttpError =>
  new HttpError(408, `Request body not received within ${deadlineMs} ms`, 'request_timeout');

/** Resolves with the parsed body; rejects with an {@link HttpError} (415, 413, 408, 400) or a {@link ClientGoneError}. `deadlineMs` 0: none. */
export const readJsonBody = (req: IncomingMessage, limit: number, deadlineMs = 0): Promise<unknown> => new Promise((resolve, reject) => {
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = deadlineMs > 0 ? setTimeout(() => {
    stop();
    req.pause();
    reject(tooSlow(deadlineMs));
  }, deadlineMs) : undefined;
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onGone);
    req.off('error', onGone);
    req.off('close', onClose);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      stop();
      req.pause();
      reject(tooLarge(limit));
    } else chunks.push(chunk);
  };
  const onEnd = (): void => {
    stop();
    try {
      resolve(parse(Buffer.concat(chunks, size)));
    } catch (error) {
      reject(error);
    }
  };
  const onGone = (): void => {
    stop();
    reject(new ClientGoneError());
  };
  const onClose = (): void => {
    if (!req.complete) onGone();
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('aborted', onGone);
  req.once('error', onGone);
  req.once('close', onClose);
});
