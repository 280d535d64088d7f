/**
 * Writes UI message stream chunks to a Node `ServerResponse`: 200 with the SSE headers and
 * `x-vercel-ai-ui-message-stream: v1` at once, one `data: <JSON>` message per chunk, `: ping`
 * comments every `heartbeatMs` (the SDK's parser skips comments), and `data: [DONE]` when
 * `chunks$` completes; then the response ends, so the client reads to the end instead of aborting.
 *
 * The client closing the connection unsubscribes `chunks$`, which cancels the request and stops
 * its experts. Unsubscribing the returned subscription does the same and ends the response.
 */
import type { ServerResponse } from 'node:http';
import { asyncScheduler, interval, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import { SSE_HEADERS, SSE_HEARTBEAT } from '../../index';
import { dataFrame, DONE_FRAME } from '../openai/chat-chunks';
import { GENERIC_ERROR_TEXT } from './to-ui-message-chunks';
import type { UIMessageChunk } from './ui-message-chunks';

/** The header that tells the AI SDK's client this is a UI message stream. */
export const UI_MESSAGE_STREAM_HEADER = 'x-vercel-ai-ui-message-stream';

/** Options of {@link writeUIMessageStream}. */
export interface UIMessageStreamOptions {
  /** Interval of the `: ping` comments; 0 = none. Default 15000. */
  readonly heartbeatMs?: number;
  /** Runs the heartbeat timer; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** Writes `chunks$` to `res` and returns the subscription. */
export function writeUIMessageStream(chunks$: Observable<UIMessageChunk>, res: ServerResponse, options: UIMessageStreamOptions = {}): Subscription {
  const { heartbeatMs = 15_000, scheduler = asyncScheduler } = options;
  const subscription = new Subscription();
  if (res.writableEnded || res.destroyed) {
    subscription.unsubscribe();
    return subscription;
  }
  const flush = (res as { flush?: unknown }).flush;
  const write = (frame: string): void => {
    if (res.writableEnded || res.destroyed) return;
    res.write(frame);
    if (typeof flush === 'function') flush.call(res); // the `compression` middleware holds data back otherwise
  };
  res.writeHead(200, { ...SSE_HEADERS, [UI_MESSAGE_STREAM_HEADER]: 'v1' });
  res.flushHeaders();
  const gone = (): void => subscription.unsubscribe();
  res.once('close', gone);
  res.on('error', gone);
  if (heartbeatMs > 0) subscription.add(interval(heartbeatMs, scheduler).subscribe(() => write(SSE_HEARTBEAT)));
  const done = (): void => {
    write(DONE_FRAME);
    subscription.unsubscribe();
  };
  subscription.add(chunks$.subscribe({
    next: (chunk) => write(dataFrame(chunk)),
    error: () => {
      write(dataFrame({ type: 'error', errorText: GENERIC_ERROR_TEXT }));
      done();
    },
    complete: done,
  }));
  // Added after the chunks' subscription, so it runs after it: the request stops, then the response ends.
  subscription.add(() => {
    res.off('close', gone);
    res.off('error', gone);
    if (!res.writableEnded && !res.destroyed) res.end();
  });
  return subscription;
}
