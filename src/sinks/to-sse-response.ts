/** Streams a request's events as a Web `Response` (Next.js route handlers, Hono, Deno, Bun, workers). */
import { Subscription, type Observable } from 'rxjs';
import type { PipelineEvent } from '../events';
import { DEFAULT_MAX_BUFFERED_BYTES, SSE_HEADERS, sseFrames, type SSEOptions } from './sse-format';

/**
 * A `Response` (status 200, `SSE_HEADERS`) whose body streams `events$` as server-sent events,
 * framed like `writeSSE` (same messages, `: ping` heartbeats every `heartbeatMs`, generic
 * `error` event if events$ errors). The body's `start` subscribes (so the request starts when
 * the Response is created); its `cancel` (the client went away, or the reader was cancelled)
 * unsubscribes, which cancels the request and stops its experts. The body closes when events$
 * completes.
 *
 * Backpressure: frames are enqueued as they come (they are small and a reader that pauses
 * briefly should not delay tokens), but once more than `maxBufferedBytes` (default 1 MiB)
 * sit unread, the client is treated as gone: the body errors and events$ is unsubscribed.
 */
export function toSSEResponse(events$: Observable<PipelineEvent>, options: SSEOptions = {}): Response {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const encoder = new TextEncoder();
  const subscription = new Subscription();
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        subscription.add(sseFrames(events$, options).subscribe({
          next: (frame) => {
            controller.enqueue(encoder.encode(frame));
            if ((controller.desiredSize ?? 0) < -maxBuffered) {
              subscription.unsubscribe();
              controller.error(new Error('SSE client is not reading'));
            }
          },
          complete: () => controller.close(),
        }));
      },
      cancel() {
        subscription.unsubscribe();
      },
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS } });
}
