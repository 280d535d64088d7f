/**
 * `POST /api/chat`: the AI SDK UI message stream protocol (v1), for `useChat` with
 * `DefaultChatTransport({ api: '/api/chat' })`. The body is what `useChat` sends (`{ id,
 * messages, trigger, ... }`); its conversation is decoded by `decodeUIMessageRequest` (400 when
 * it has no user message last), with the optional generation params of its `params` object
 * (`decodeUIGenerationParams`; every problem of both in one 400), and runs for the caller's tenant (`startTenantRequest`: its cache
 * scope, its request ids, its limits, the metrics and the log line). The request id is a fresh
 * UUID, sent as `X-Request-Id`, as the `start` chunk's messageId and in the message metadata, so
 * `POST /api/cancel/:requestId` can stop it. What streams: see `../ai-sdk/to-ui-message-chunks.ts`.
 * Closing the connection (the client's `stop()`) cancels the request and its experts.
 */
import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { readJsonBody } from '../read-json-body';
import type { Route } from '../route';
import { HttpError } from '../http-error';
import { toUIMessageChunks } from '../ai-sdk/to-ui-message-chunks';
import { decodeUIGenerationParams } from '../ai-sdk/ui-generation-params';
import { isObject } from '../openai/json-shape';
import { decodeUIMessageRequest, pluginInput } from '../ai-sdk/ui-message-request';
import { writeUIMessageStream } from '../ai-sdk/write-ui-message-stream';
import { startTenantRequest } from '../tenancy/start-tenant-request';

/** The chat route. */
export const chatRoute: Route = {
  method: 'POST',
  path: '/api/chat',
  handler: async (context) => {
    const { req, res, server } = context;
    const body = await readJsonBody(req, server.bodyLimitBytes, server.bodyTimeoutMs);
    const conversation = decodeUIMessageRequest(body);
    const problems: string[] = [];
    const params = isObject(body) ? decodeUIGenerationParams(body.params, problems) : {};
    // Both decoders' problems in one 400 (the conversation's is always a 400 invalid_request).
    if (E.isLeft(conversation) || problems.length > 0) {
      throw new HttpError(400, [...(E.isLeft(conversation) ? [conversation.left.message] : []), ...problems].join('; '), 'invalid_request');
    }
    const messages = conversation.right;
    const requestId = randomUUID();
    const { events$ } = startTenantRequest(context, { requestId }, (options) => server.plugin.process(pluginInput(messages), { ...options, params }));
    res.setHeader('x-request-id', requestId);
    writeUIMessageStream(events$.pipe(toUIMessageChunks({ requestId })), res, { heartbeatMs: server.heartbeatMs });
  },
};
