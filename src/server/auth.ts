/** Bearer-token authentication, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * A check of the `Authorization` header against `apiKey`: true for `Bearer <apiKey>`. Both sides
 * are hashed (SHA-256) and compared with `timingSafeEqual`, so neither the key's content nor its
 * length shows in the timing; a missing or malformed header is compared too (against nothing).
 */
export const bearerAuth = (apiKey: string): ((authorization: string | undefined) => boolean) => {
  const expected = digest(apiKey);
  return (authorization) => {
    const match = BEARER.exec(authorization ?? '');
    const same = timingSafeEqual(digest(match?.[1] ?? ''), expected);
    return match !== null && same;
  };
};

/** The 401 for a missing or wrong key, with `WWW-Authenticate: Bearer`. */
export const unauthorized = (): HttpError =>
  new HttpError(401, 'Missing or invalid API key: send Authorization: Bearer <key>', 'invalid_api_key', { 'www-authenticate': 'Bearer' });
