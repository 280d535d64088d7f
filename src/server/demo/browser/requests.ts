/// <reference lib="dom" />
/**
 * The page's calls to the server, with `Authorization: Bearer <key>` when the API key field is
 * filled: the dialogue itself through `readEvents$` (POST /api/dialogue with a JSON body, read to
 * the end; unsubscribing closes the connection, which cancels the request on the server), and
 * POST /api/cancel/:requestId for the Stop button.
 */
import { defer, map, type Observable } from 'rxjs';
import type { PipelineEvent } from '../../../browser';
import type { DemoMessage } from './conversation';
import { readEvents$ } from './read-events';

/** One question as the form holds it, with the conversation it continues. */
export interface Ask {
  readonly prompt: string;
  /** The answered turns so far, then `prompt` as the last user message. */
  readonly messages: readonly DemoMessage[];
  readonly requestId: string;
  /** The API key field, trimmed; '' sends no Authorization header. */
  readonly apiKey: string;
}

/** The Authorization header for `apiKey`, none when it is empty. */
export const authHeaders = (apiKey: string): Record<string, string> =>
  apiKey === '' ? {} : { authorization: `Bearer ${apiKey}` };

/** A fresh request id (`demo-` and 16 random hex digits; `crypto.getRandomValues` works outside secure contexts too). */
export const newRequestId = (): string =>
  `demo-${Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, '0')).join('')}`;

/** The events of `ask` (its whole conversation), read from POST /api/dialogue. */
export const dialogue$ = (ask: Ask): Observable<PipelineEvent> =>
  readEvents$('/api/dialogue', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(ask.apiKey) },
    body: JSON.stringify({ messages: ask.messages, requestId: ask.requestId }),
  });

/** Asks the server to cancel `requestId`; emits the HTTP status (204 cancelled, 404 no longer in flight). */
export const cancel$ = (requestId: string, apiKey: string): Observable<number> =>
  defer(() => fetch(`/api/cancel/${encodeURIComponent(requestId)}`, { method: 'POST', headers: authHeaders(apiKey) })).pipe(
    map((response) => response.status),
  );
