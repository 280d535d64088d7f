/**
 * Streams a request's answer to a Node `ServerResponse` as OpenAI chat completion chunks (`data:
 * <JSON>` messages, then `data: [DONE]`), live: each event's deltas (`createChatDeltas`) are
 * written as the event arrives, before the next one is read.
 *
 * - `delta.reasoning_content`: the experts' tokens as they stream, labelled `[<expertId>] `
 *   whenever the expert changes, and a note when a retry discards an expert's text (the lane is
 *   append-only). Clients that show reasoning (DeepSeek-style) show the experts at work; the
 *   first expert token reaches the client with no wait for the others. Off with `reasoning: false`.
 * - `delta.content`: the fused answer. A generating fusion's (or a cached answer's) tokens go out
 *   live; a selecting fusion ('best', 'first') streams none, so its answer is `complete.text`,
 *   sent in word-sized pieces at `complete`. Content streamed by a fusion that then failed
 *   (`degraded`) or was discarded cannot be taken back: the final text follows a visible
 *   correction marker (see `chat-deltas.ts`), so the answer's tail is always `complete.text`.
 * - The `usage` chunk (with `stream_options.include_usage`) carries `complete.usage` (`chatUsage`).
 *
 *     events     start plan token(a) token(b) retry(a) ... expert metrics complete|
 *     chunks           role reasoning reasoning note ...  (": ping" while idle)  [content...] stop [usage] [DONE]|
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
import { chatChunk, dataFrame, DONE_FRAME, usageChunk, type ChatDelta } from './chat-chunks';
import { createChatDeltas } from './chat-deltas';
import { chatFailure } from './chat-errors';
import type { ChatReply } from './chat-reply';
import { chatUsage } from './chat-usage';

/** Options of {@link writeChatStream}. */
export interface ChatStreamOptions {
  /** Interval of the `: ping` comments; 0 = none. Default 15000. */
  readonly heartbeatMs?: number;
  /** Runs the heartbeat timer; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Stream the experts' tokens as `reasoning_content`; default true. */
  readonly reasoning?: boolean;
}

const OPENING: ReadonlySet<string> = new Set(['token', 'retry', 'expert', 'status']);

/** Writes `events$` to `res` as an OpenAI chat completion stream and returns the subscription. */
export function writeChatStream(events$: Observable<PipelineEvent>, res: ServerResponse, reply: ChatReply, options: ChatStreamOptions = {}): Subscription {
  const { heartbeatMs = 15_000, scheduler = asyncScheduler, reasoning = true } = options;
  const deltas = createChatDeltas({ reasoning });
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
  const send = (list: readonly ChatDelta[]): void => {
    for (const delta of list) write(dataFrame(chatChunk(meta, delta, null)));
  };
  const finish = (terminal: TerminalEvent | undefined): void => {
    if (done) return;
    done = true;
    if (terminal?.type === 'complete') {
      open();
      send(deltas.complete(terminal));
      write(dataFrame(chatChunk(meta, {}, 'stop')));
      if (reply.includeUsage) write(dataFrame(usageChunk(meta, chatUsage(terminal, reply.prompt))));
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
      else {
        // Deltas come only from tokens and retries, which open the stream first.
        if (OPENING.has(event.type)) open();
        const delta = deltas.event(event);
        if (delta !== undefined) write(dataFrame(chatChunk(meta, delta, null)));
      }
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
