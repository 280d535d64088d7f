/**
 * Answers a non-streamed chat completions request: waits for the terminal event, then sends one
 * `chat.completion` JSON body (`complete`; its `usage` from `chatUsage`) or an OpenAI error body (see `chatFailure`). The
 * client closing the connection while it waits unsubscribes `events$`, which cancels the request.
 */
import type { ServerResponse } from 'node:http';
import { defaultIfEmpty, filter, Subscription, take, type Observable } from 'rxjs';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../../index';
import { internalError } from '../http-error';
import { sendError, sendJson } from '../respond';
import { chatCompletion } from './chat-chunks';
import { chatFailure } from './chat-errors';
import type { ChatReply } from './chat-reply';
import { chatUsage } from './chat-usage';

/** Subscribes to `events$` and answers `res` once it ends; returns the subscription. */
export function sendChatCompletion(events$: Observable<PipelineEvent>, res: ServerResponse, reply: ChatReply): Subscription {
  const subscription = new Subscription();
  if (res.writableEnded || res.destroyed) {
    subscription.unsubscribe();
    return subscription;
  }
  const gone = (): void => subscription.unsubscribe();
  res.once('close', gone);
  subscription.add(() => res.off('close', gone));
  const answer = (terminal: TerminalEvent | undefined): void => {
    if (terminal?.type === 'complete') {
      sendJson(res, 200, chatCompletion(reply.meta, terminal.text, chatUsage(terminal, reply.prompt)));
    } else {
      sendError(res, terminal === undefined ? internalError() : chatFailure(terminal));
    }
  };
  subscription.add(events$.pipe(filter(isTerminal), take(1), defaultIfEmpty(undefined)).subscribe({
    next: answer,
    error: () => answer(undefined),
  }));
  return subscription;
}
