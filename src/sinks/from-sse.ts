/**
 * The client side of the SSE sinks: a request's events, read from a URL that serves `writeSSE`
 * or `toSSEResponse`. Browser-safe: only `fetch`, `ReadableStream`, `TextDecoder`,
 * `AbortController` and rxjs.
 */
import { Observable, type Subscriber } from 'rxjs';
import { isTerminal, type PipelineEvent } from '../events';
import { createSSEParser } from './sse-parser';
import { SSEResponseError } from './sse-response-error';

/**
 * Fetches `url` with `init` and emits each message's JSON data as a PipelineEvent.
 *
 * - Method: `init.method`, else POST when `init.body` is given (passed through untouched), else
 *   GET. `accept: text/event-stream` is added unless `init.headers` sets `accept`.
 * - Completes after a terminal event (`complete`, `error`, `cancelled`), closing the connection,
 *   or when the stream ends.
 * - Errors with an `SSEResponseError` (the status, never the body) on a non-2xx answer or one
 *   that is not `text/event-stream`; with an Error when a message's data is not a JSON object
 *   with string `type` and `requestId`; with the fetch's error on a network failure, or when
 *   `init.signal` aborts.
 * - Unsubscribing aborts the fetch at once, also while waiting for the next chunk, which closes
 *   the connection; a server using `writeSSE` then cancels the request.
 */
export function fromSSE(url: string, init: RequestInit = {}): Observable<PipelineEvent> {
  // new Observable, not from(asyncIterator): that would notice an unsubscribe only when the next chunk arrives.
  return new Observable<PipelineEvent>((subscriber) => {
    const abort = new AbortController();
    const outer = init.signal ?? undefined;
    const onOuterAbort = (): void => abort.abort(outer?.reason);
    if (outer?.aborted === true) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    const headers = new Headers(init.headers);
    if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
    const method = init.method ?? (init.body == null ? 'GET' : 'POST');
    readEvents(url, { ...init, method, headers, signal: abort.signal }, subscriber).then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error), // a no-op once unsubscribed (the abort rejects too)
    );
    return () => {
      outer?.removeEventListener('abort', onOuterAbort);
      abort.abort();
    };
  });
}

/** Reads the stream into `subscriber` until a terminal event, the end, or an unsubscribe. */
async function readEvents(url: string, init: RequestInit, subscriber: Subscriber<PipelineEvent>): Promise<void> {
  const response = await fetch(url, init);
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || !/^text\/event-stream\b/i.test(type)) {
    response.body?.cancel().catch(() => undefined);
    throw response.ok
      ? new SSEResponseError(response.status, `Expected text/event-stream, got "${type.slice(0, 100)}"`)
      : new SSEResponseError(response.status);
  }
  if (response.body === null) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let ended = false;
  const parser = createSSEParser(({ data }) => {
    if (ended || subscriber.closed) return;
    const event = toEvent(data);
    subscriber.next(event);
    ended = isTerminal(event);
  });
  while (!ended && !subscriber.closed) {
    const chunk = await reader.read();
    if (chunk.done) {
      parser.push(decoder.decode());
      parser.end();
      return;
    }
    parser.push(decoder.decode(chunk.value, { stream: true }));
  }
}

/** Parses one message's data; throws unless it is a JSON object with string `type` and `requestId`. */
function toEvent(data: string): PipelineEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new Error('fromSSE: a message\'s data is not JSON');
  }
  const { type, requestId } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof type !== 'string' || typeof requestId !== 'string') throw new Error('fromSSE: a message is not a pipeline event');
  return value as PipelineEvent;
}
