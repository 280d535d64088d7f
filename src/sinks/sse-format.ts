/**
 * Server-sent events framing shared by `writeSSE` (Node response) and `toSSEResponse` (Web
 * Response): one message per event, `event: <type>\ndata: <JSON>\n\n`, plus heartbeat comments.
 *
 *     events$      --s---t---t--------C|
 *     heartbeat 4  ----p---p---p---p-----      (comments, while events$ runs)
 *     frames       --s-p-t-p-t-p---p--C|
 */
import { asyncScheduler, catchError, defer, endWith, filter, interval, map, merge, of, takeWhile, type Observable, type SchedulerLike } from 'rxjs';
import type { ErrorEvent, PipelineEvent } from '../events';

/** Options of the SSE sinks. */
export interface SSEOptions {
  /** Interval of the `: ping` comments that keep proxies from closing an idle stream; 0 = off. Default 15000. */
  readonly heartbeatMs?: number;
  /** Runs the heartbeat timer; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * How many bytes may wait for a client that does not read before it is treated as gone
   * (unsubscribed, response closed). Default 1 MiB. See `writeSSE` for why.
   */
  readonly maxBufferedBytes?: number;
}

/** The response headers of an SSE stream. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
});

/** The heartbeat comment. */
export const SSE_HEARTBEAT = ': ping\n\n';

/** Default of `SSEOptions.maxBufferedBytes`. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

const EVENT_NAME = /^[a-z-]+$/;
/** Line terminators in SSE (\n, \r) and in JavaScript (U+2028, U+2029, escaped to be safe with old parsers). */
const BREAKS = /[\n\r\u2028\u2029]/g;
const escapeBreak = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * One SSE message for `event`, or undefined when it cannot be framed safely: its `type` is not
 * /^[a-z-]+$/ or it is not serializable. JSON.stringify already escapes \n and \r; any line
 * break left (none can be) is escaped as `\uXXXX`, so a message is always exactly two lines.
 */
export function formatSSEEvent(event: PipelineEvent): string | undefined {
  const type: unknown = (event as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !EVENT_NAME.test(type)) return undefined;
  let data: string | undefined;
  try {
    data = JSON.stringify(event);
  } catch {
    return undefined;
  }
  if (typeof data !== 'string') return undefined;
  return `event: ${type}\ndata: ${data.replace(BREAKS, escapeBreak)}\n\n`;
}

/** The `error` event sent when the event stream itself errors: a generic message, never the error's. */
export const streamFailedEvent = (requestId: string): ErrorEvent => ({
  type: 'error',
  requestId,
  error: { kind: 'system', message: 'The event stream failed', user: false },
});

const END = Symbol('end');

/**
 * The SSE text of `events$`, one string per message or heartbeat, completing when events$ does.
 * Events that cannot be framed are skipped. If events$ errors, the last frame is an `error`
 * event with a generic message (and the request id seen last). The heartbeat `interval` lives
 * inside this Observable, so it stops with it.
 */
export function sseFrames(events$: Observable<PipelineEvent>, options: SSEOptions = {}): Observable<string> {
  const { heartbeatMs = 15_000, scheduler = asyncScheduler } = options;
  return defer(() => {
    let requestId = '';
    const messages$ = events$.pipe(
      map((event) => {
        requestId = event.requestId;
        return formatSSEEvent(event);
      }),
      filter((frame): frame is string => frame !== undefined),
      catchError(() => of(formatSSEEvent(streamFailedEvent(requestId))!)),
      endWith(END),
    );
    const frames$ = heartbeatMs > 0 ? merge(messages$, interval(heartbeatMs, scheduler).pipe(map(() => SSE_HEARTBEAT))) : messages$;
    return frames$.pipe(takeWhile((frame): frame is string => frame !== END));
  });
}
