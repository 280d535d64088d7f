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
 * - Completes after a terminal event (`complete`, `error`, `cancelled`), or when the stream
 *   ends. After a terminal event the rest of the body is still read to its end (the SSE sinks end
 *   the response right after it), so a finished request closes cleanly instead of showing in a
 *   browser as a failed, aborted one; a server that keeps the stream open longer than
 *   `DRAIN_MS` after its terminal event is aborted then.
 * - Errors with an `SSEResponseError` (the status, never the body) on a non-2xx answer or one
 *   that is not `text/event-stream`; with an Error when a message's data is not a JSON object
 *   with string `type` and `requestId`; with the fetch's error on a network failure, or when
 *   `init.signal` aborts.
 * - Unsubscribing aborts the fetch at once, also while waiting for the next chunk, which closes
 *   the connection; a server using `writeSSE` then cancels the request.
 */
export function fromSSE(url: string, init: RequestInit = {}): Observable<PipelineEvent> {
  return fromSSEDraining(url, init, DRAIN_MS);
}

/** How long `fromSSE` reads on after a terminal event for the server to end the body. */
export const DRAIN_MS = 2_000;

/** `fromSSE` with the drain deadline as a parameter (tests). */
export function fromSSEDraining(url: string, init: RequestInit, drainMs: number): Observable<PipelineEvent> {
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
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    let bodyDone = false;
    const read = readEvents(url, { ...init, method, headers, signal: abort.signal }, subscriber);
    read.result.then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error), // a no-op once unsubscribed (the abort rejects too)
    );
    // Settles when the body has been read to its end (or failed): nothing left to abort then.
    void read.drained.then(() => {
      bodyDone = true;
      if (drainTimer !== undefined) clearTimeout(drainTimer);
      outer?.removeEventListener('abort', onOuterAbort);
    });
    return () => {
      if (!read.terminal()) {
        outer?.removeEventListener('abort', onOuterAbort);
        abort.abort();
        return;
      }
      // Finished: let the body end by itself, within drainMs.
      if (!bodyDone) drainTimer = setTimeout(() => abort.abort(), drainMs);
    };
  });
}

/** A running read: `result` settles at the terminal event or the end; `drained` at the body's end. */
interface RunningRead {
  readonly result: Promise<void>;
  readonly drained: Promise<void>;
  /** Whether a terminal event arrived. */
  terminal(): boolean;
}

/** Reads the stream into `subscriber` until a terminal event or the end, then the body to its end. */
function readEvents(url: string, init: RequestInit, subscriber: Subscriber<PipelineEvent>): RunningRead {
  let ended = false;
  let settle: () => void = () => undefined;
  const result = new Promise<void>((resolve) => { settle = resolve; });
  const drained = readBody(url, init, subscriber, () => {
    ended = true;
    settle();
  });
  return {
    result: Promise.race([result, drained]),
    drained: drained.then(() => undefined, () => undefined),
    terminal: () => ended,
  };
}

/** Fetches and parses the whole body; `onTerminal` runs after the terminal event is emitted. */
async function readBody(url: string, init: RequestInit, subscriber: Subscriber<PipelineEvent>, onTerminal: () => void): Promise<void> {
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
    if (isTerminal(event)) {
      ended = true;
      onTerminal();
    }
  });
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) {
      if (ended) return;
      parser.push(decoder.decode());
      parser.end();
      return;
    }
    if (!ended) parser.push(decoder.decode(chunk.value, { stream: true }));
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
