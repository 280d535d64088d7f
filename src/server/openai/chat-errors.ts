/**
 * How a request that did not complete is answered on `/v1/chat/completions`. Messages are the
 * server's own, never the event's (which is safe anyway), except the caller's validation issues.
 *
 * | terminal event | status | code |
 * | --- | --- | --- |
 * | error `validation` | 400 | `invalid_prompt` (message: every issue) |
 * | error `duplicate-request` | 400 | `duplicate_request` |
 * | error `overloaded` | 503, `Retry-After: 1` | `overloaded` |
 * | error `no-experts` | 503, `Retry-After: 5` | `no_experts` |
 * | error `system` (and anything else) | 500 | `internal_error` |
 * | `cancelled` | 503, `X-Should-Retry: false` | `cancelled` |
 *
 * Cancelled is a 503 because the usual cause is the server shutting down or an operator's
 * `/api/cancel`; `X-Should-Retry: false` keeps the OpenAI SDKs from retrying it by themselves.
 */
import type { CancelledEvent, ErrorEvent } from '../../index';
import { HttpError } from '../http-error';

/** The HttpError for a request that ended with `error` or `cancelled`. */
export const chatFailure = (terminal: ErrorEvent | CancelledEvent): HttpError => {
  if (terminal.type === 'cancelled') {
    return new HttpError(503, 'The request was cancelled', 'cancelled', { 'x-should-retry': 'false' });
  }
  const { error } = terminal;
  switch (error.kind) {
    case 'validation':
      return new HttpError(400, `Invalid prompt: ${(error.issues ?? [error.message]).join('; ')}`, 'invalid_prompt');
    case 'duplicate-request':
      return new HttpError(400, 'A request with this id is already in flight', 'duplicate_request');
    case 'overloaded':
      return new HttpError(503, 'The server is overloaded; retry later', 'overloaded', { 'retry-after': '1' });
    case 'no-experts':
      return new HttpError(503, 'No expert is available right now; retry later', 'no_experts', { 'retry-after': '5' });
    default:
      return new HttpError(500, 'The request failed', 'internal_error');
  }
};
