/// <reference lib="dom" />
/**
 * The page's reader of `POST /api/dialogue`: like the library's `fromSSE`, but it reads the body
 * to its end after the terminal event instead of aborting the fetch there. The server ends the
 * response right after the terminal event (`writeSSE`), so this costs nothing, and a finished
 * request closes cleanly: an abort at that point shows in the browser as a failed request
 * (`net::ERR_ABORTED`). Unsubscribing before the end (a new question, leaving the page) still
 * aborts at once, which closes the connection and so cancels the request on the server.
 *
 * Errors: `SSEResponseError` (the status only) on a non-2xx answer or one that is not an event
 * stream, an Error for a message that is not a pipeline event, the fetch's error on a network
 * failure. An error answer's small JSON body is read to its end too.
 */
import { createParser } from 'eventsource-parser';
import { Observable } from 'rxjs';
import { SSEResponseError, type PipelineEvent } from '../../../browser';

/** Parses one message's data; throws unless it is a JSON object with string `type` and `requestId`. */
const toEvent = (data: string): PipelineEvent => {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new Error('a message\'s data is not JSON');
  }
  const { type, requestId } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof type !== 'string' || typeof requestId !== 'string') throw new Error('a message is not a pipeline event');
  return value as PipelineEvent;
};

/** Fetches `url` and passes each event to `emit`, until the body ends. */
const readAll = async (url: string, init: RequestInit, emit: (event: PipelineEvent) => void): Promise<void> => {
  const response = await fetch(url, { ...init, headers: { accept: 'text/event-stream', ...init.headers } });
  if (!response.ok || !/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '')) {
    await response.arrayBuffer().catch(() => undefined);
    throw new SSEResponseError(response.status);
  }
  if (response.body === null) return;
  const parser = createParser({ onEvent: ({ data }) => emit(toEvent(data)) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(value);
  }
};

/** The events of `url` (`init` as for `fetch`, its headers a plain object), to the end of the body. */
export const readEvents$ = (url: string, init: RequestInit & { readonly headers?: Record<string, string> }): Observable<PipelineEvent> =>
  // new Observable, not from(promise): an unsubscribe must abort the fetch at once, also between chunks.
  new Observable<PipelineEvent>((subscriber) => {
    const abort = new AbortController();
    readAll(url, { ...init, signal: abort.signal }, (event) => subscriber.next(event)).then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error), // a no-op once unsubscribed (the abort rejects too)
    );
    return () => abort.abort(); // after the end of the body: nothing left to abort
  });
