/**
 * `POST /v1/chat/completions`, OpenAI-compatible: `{ model, messages, stream?, stream_options? }`.
 * The last user message is the prompt (see `decodeChatRequest`); the request id is a fresh UUID,
 * sent back as `X-Request-Id` (so `/api/cancel/:id` can cancel it) and in the completion's id
 * (`chatcmpl-<requestId>`). `stream: true` answers with `writeChatStream` (the final text in
 * pieces: why is explained there), otherwise with one JSON body (`sendChatCompletion`).
 */
import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { readJsonBody } from '../read-json-body';
import type { Route } from '../route';
import { decodeChatRequest } from '../openai/chat-request';
import { sendChatCompletion } from '../openai/send-chat-completion';
import { writeChatStream } from '../openai/write-chat-stream';

/** The chat completions route. */
export const chatCompletionsRoute: Route = {
  method: 'POST',
  path: '/v1/chat/completions',
  handler: async ({ req, res, server }) => {
    const decoded = decodeChatRequest(await readJsonBody(req, server.bodyLimitBytes), server.models);
    if (E.isLeft(decoded)) throw decoded.left;
    const { model, prompt, stream, includeUsage } = decoded.right;
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    const reply = { meta: { id: `chatcmpl-${requestId}`, model, created: Math.floor(server.now() / 1000) }, prompt, includeUsage };
    const events$ = server.plugin.process(prompt, { requestId }).pipe(server.metrics.track());
    if (stream) writeChatStream(events$, res, reply, { heartbeatMs: server.heartbeatMs });
    else sendChatCompletion(events$, res, reply);
  },
};
