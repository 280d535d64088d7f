/** Streams a request's events to a Node `ServerResponse` (plain http, Express, Fastify's `reply.raw`) as SSE. */
import type { ServerResponse } from 'node:http';
import { Subscription, type Observable } from 'rxjs';
import type { PipelineEvent } from '../events';
import { DEFAULT_MAX_BUFFERED_BYTES, SSE_HEADERS, sseFrames, type SSEOptions } from './sse-format';

/**
 * Writes `events$` to `res` as server-sent events and returns the subscription.
 *
 * - Headers: `SSE_HEADERS` (status `res.statusCode`), unless headers were already sent; they are
 *   flushed at once so the client sees the stream open before the first event.
 * - One message per event (`event: <type>\ndata: <JSON>\n\n`, see `formatSSEEvent`), and a
 *   `: ping` comment every `heartbeatMs` (default 15000, 0 = off) on `scheduler`.
 * - events$ completes: the response ends. events$ errors (it should not): an `error` event with
 *   a generic message, then the end. The client closes the connection (`res` 'close' or 'error'
 *   before the end): events$ is unsubscribed, which cancels the request and stops its experts.
 *   Unsubscribing the returned subscription does the same and ends the response.
 * - Backpressure: when `res.write` returns false we keep writing, since messages are small and
 *   waiting would delay the tokens of a client that is merely slow for a moment. Node buffers
 *   them, but not without bound: once more than `maxBufferedBytes` (default 1 MiB, far beyond
 *   any healthy client's lag) wait unsent, the client is treated as gone: the request is
 *   unsubscribed and the response destroyed.
 * - Intermediaries: `res.flush()` is called after each write when present (the `compression`
 *   middleware adds it), so compressed SSE is not held back.
 */
export function writeSSE(events$: Observable<PipelineEvent>, res: ServerResponse, options: SSEOptions = {}): Subscription {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const subscription = new Subscription();
  if (res.writableEnded || res.destroyed) {
    subscription.unsubscribe();
    return subscription;
  }
  if (!res.headersSent) {
    res.writeHead(res.statusCode, SSE_HEADERS);
    res.flushHeaders();
  }
  const flush = (res as { flush?: unknown }).flush;
  const gone = (): void => subscription.unsubscribe();
  res.once('close', gone);
  res.on('error', gone);
  subscription.add(sseFrames(events$, options).subscribe({
    next: (frame) => {
      if (res.writableEnded || res.destroyed) return;
      res.write(frame);
      if (typeof flush === 'function') flush.call(res);
      if (res.writableLength > maxBuffered) {
        res.destroy();
        subscription.unsubscribe();
      }
    },
    complete: gone,
  }));
  // Added after the events' subscription, so it runs after it: the request stops, then the response ends.
  subscription.add(() => {
    res.off('close', gone);
    res.off('error', gone);
    if (!res.writableEnded && !res.destroyed) res.end();
  });
  return subscription;
}
