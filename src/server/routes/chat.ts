/**
 * `POST /api/chat`: the AI SDK UI message stream protocol (v1), for `useChat` with
 * `DefaultChatTransport({ api: '/api/chat' })`. The body is what `useChat` sends (`{ id,
 * messages, trigger, ... }`); its conversation is decoded by `decodeUIMessageRequest` (400 when
 * it has no user message last) and runs for the caller's tenant (`startTenantRequest`: its cache
 * scope, its request ids, its limits, the metrics and the log line). The request id is a fresh
 * UUID, sent as `X-Request-Id`, as the `start` chunk's messageId and in the message metadata, so
 * `POST /api/cancel/:requestId` can stop it. What streams: see `../ai-sdk/to-ui-message-chunks.ts`.
 * Closing the connection (the client's `stop()`) cancels the request and its experts.
 */
import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { readJsonBody } from '../read-json-body';
import type { Route } from '../route';
import { toUIMessageChunks } from '../ai-sdk/to-ui-message-chunks';
import { decodeUIMessageRequest, pluginInput } from '../ai-sdk/ui-message-request';
import { writeUIMessageStream } from '../ai-sdk/write-ui-message-stream';
import { startTenantRequest } from '../tenancy/start-tenant-request';

/** The chat route. */
export const chatRoute: Route = {
  method: 'POST',
  path: '/api/chat',
  handler: async (context) => {
    const { req, res, server } = context;
    const conversation = decodeUIMessageRequest(await readJsonBody(req, server.bodyLimitBytes, server.bodyTimeoutMs));
    if (E.isLeft(conversation)) throw conversation.left;
    const requestId = randomUUID();
    const { events$ } = startTenantRequest(context, { requestId }, (options) => server.plugin.process(pluginInput(conversation.right), options));
    res.setHeader('x-request-id', requestId);
    writeUIMessageStream(events$.pipe(toUIMessageChunks({ requestId })), res, { heartbeatMs: server.heartbeatMs });
  },
};
