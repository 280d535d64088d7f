/**
 * Streams a request's answer to a Node `ServerResponse` as OpenAI chat completion chunks (`data:
 * <JSON>` messages, then `data: [DONE]`).
 *
 * What streams, and why: OpenAI's stream is append-only (deltas cannot be taken back), and the
 * pipeline only knows its final text at `complete`: a selecting fusion ('best', 'first') picks
 * one expert's answer after the experts end, a generating fusion may fail and fall back to an
 * expert's text (`degraded`), a retry may discard the tokens an expert already streamed. Any
 * token forwarded early could therefore contradict the final answer. So the content deltas are
 * `complete.text` itself, cut into word-sized pieces, sent when `complete` arrives: the joined
 * deltas always equal the final answer, at the price of no live tokens (time to first content
 * = time to the final answer; `/api/dialogue` streams live tokens with the full event log).
 *
 *     events     start plan token ... expert ... metrics complete|
 *     chunks           role (+ ": ping" comments while waiting)   piece piece ... stop [usage] [DONE]|
 *
 * - The stream opens (200, SSE headers, the `{"role":"assistant"}` chunk) at the first sign of
 *   work (a token, retry, expert or status event) or at `complete`. A request that fails before
 *   (validation, overload, cancellation) gets a plain HTTP error instead (see `chatFailure`), so
 *   OpenAI clients raise it with its status. A failure after the stream opened is sent as
 *   `data: {"error": {...}}`, as OpenAI does, and the stream ends (the SDKs throw it).
 * - `: ping` comments every `heartbeatMs` keep proxies from closing a stream that waits.
 * - The client closing the connection unsubscribes `events$`, which cancels the request and stops
 *   its experts. Unsubscribing the returned subscription does the same and ends the response.
 */
import type { ServerResponse } from 'node:http';
import { asyncScheduler, interval, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../../index';
import { SSE_HEADERS, SSE_HEARTBEAT } from '../../index';
import { internalError } from '../http-error';
import { sendError } from '../respond';
import { chatChunk, dataFrame, DONE_FRAME, estimateUsage, textPieces, usageChunk } from './chat-chunks';
import { chatFailure } from './chat-errors';
import type { ChatReply } from './chat-reply';

/** Options of {@link writeChatStream}. */
export interface ChatStreamOptions {
  /** Interval of the `: ping` comments; 0 = none. Default 15000. */
  readonly heartbeatMs?: number;
  /** Runs the heartbeat timer; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

const OPENING: ReadonlySet<string> = new Set(['token', 'retry', 'expert', 'status']);

/** Writes `events$` to `res` as an OpenAI chat completion stream and returns the subscription. */
export function writeChatStream(events$: Observable<PipelineEvent>, res: ServerResponse, reply: ChatReply, options: ChatStreamOptions = {}): Subscription {
  const { heartbeatMs = 15_000, scheduler = asyncScheduler } = options;
  const { meta } = reply;
  const subscription = new Subscription();
  if (res.writableEnded || res.destroyed) {
    subscription.unsubscribe();
    return subscription;
  }
  let done = false;
  const write = (frame: string): void => {
    if (!res.writableEnded && !res.destroyed) res.write(frame);
  };
  const open = (): void => {
    if (res.headersSent) return;
    res.writeHead(200, SSE_HEADERS);
    write(dataFrame(chatChunk(meta, { role: 'assistant' }, null)));
    if (heartbeatMs > 0) subscription.add(interval(heartbeatMs, scheduler).subscribe(() => write(SSE_HEARTBEAT)));
  };
  const finish = (terminal: TerminalEvent | undefined): void => {
    if (done) return;
    done = true;
    if (terminal?.type === 'complete') {
      open();
      for (const content of textPieces(terminal.text)) write(dataFrame(chatChunk(meta, { content }, null)));
      write(dataFrame(chatChunk(meta, {}, 'stop')));
      if (reply.includeUsage) write(dataFrame(usageChunk(meta, estimateUsage(reply.prompt, terminal.text))));
      write(DONE_FRAME);
    } else {
      const failure = terminal === undefined ? internalError() : chatFailure(terminal);
      if (res.headersSent) write(dataFrame(failure.body()));
      else sendError(res, failure);
    }
    subscription.unsubscribe();
  };
  const gone = (): void => subscription.unsubscribe();
  res.once('close', gone);
  res.on('error', gone);
  subscription.add(events$.subscribe({
    next: (event) => {
      if (isTerminal(event)) finish(event);
      else if (OPENING.has(event.type)) open();
    },
    error: () => finish(undefined),
    complete: () => finish(undefined),
  }));
  // Added after the events' subscription, so it runs after it: the request stops, then the response ends.
  subscription.add(() => {
    res.off('close', gone);
    res.off('error', gone);
    if (!res.writableEnded && !res.destroyed) res.end();
  });
  return subscription;
}
