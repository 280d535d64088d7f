/**
 * `POST /v1/chat/completions`, OpenAI-compatible: `{ model, messages, stream?, stream_options? }`
 * plus the sampling fields. The whole conversation (system, history, the last user message) and
 * the generation params (`max_tokens`/`max_completion_tokens`, `temperature`, `top_p`, `stop`,
 * `seed`) go to the plugin; parameters it cannot honour (`n` > 1, tools, JSON modes, logprobs)
 * are refused with 400 `unsupported_parameter` (see `decodeChatRequest`). The request id is the
 * client's `X-Client-Request-Id` header (as OpenAI's API takes it; same rule as `requestId`, else
 * 400), or a fresh UUID; it is the caller's tenant's own, like every id (`startTenantRequest`),
 * sent back as `X-Request-Id` (so `/api/cancel/:id` can cancel it) and in the completion's id
 * (`chatcmpl-<requestId>`). The cache scope is the tenant. `stream: true` answers with
 * `writeChatStream` (live: the experts as `reasoning_content`, the fused answer as `content`),
 * otherwise with one JSON body (`sendChatCompletion`); `usage` is the request's real totals.
 */
import * as E from 'fp-ts/Either';
import { isRequestId } from '../../index';
import { HttpError } from '../http-error';
import { readJsonBody } from '../read-json-body';
import type { Route } from '../route';
import { decodeChatRequest } from '../openai/chat-request';
import { sendChatCompletion } from '../openai/send-chat-completion';
import { writeChatStream } from '../openai/write-chat-stream';
import { startTenantRequest } from '../tenancy/start-tenant-request';

const clientRequestId = (header: string | string[] | undefined): string | undefined => {
  if (header === undefined) return undefined;
  if (isRequestId(header)) return header;
  throw new HttpError(400, 'X-Client-Request-Id must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit', 'invalid_request');
};

/** The chat completions route. */
export const chatCompletionsRoute: Route = {
  method: 'POST',
  path: '/v1/chat/completions',
  handler: async (context) => {
    const { req, res, server } = context;
    const requested = clientRequestId(req.headers['x-client-request-id']);
    const decoded = decodeChatRequest(await readJsonBody(req, server.bodyLimitBytes, server.bodyTimeoutMs), server.models);
    if (E.isLeft(decoded)) throw decoded.left;
    const { model, messages, params, stream, includeUsage } = decoded.right;
    const { requestId, events$ } = startTenantRequest(context, { requestId: requested }, (options) => server.plugin.process(messages, { ...options, params }));
    // `requested` is valid, so the run has an id (the client's, or a fresh UUID).
    const id = requestId ?? '';
    res.setHeader('x-request-id', id);
    const prompt = messages.map((message) => message.content).join('\n');
    const reply = { meta: { id: `chatcmpl-${id}`, model, created: Math.floor(server.now() / 1000) }, prompt, includeUsage };
    if (stream) writeChatStream(events$, res, reply, { heartbeatMs: server.heartbeatMs, reasoning: server.openAIReasoning });
    else sendChatCompletion(events$, res, reply);
  },
};
