/**
 * `POST /api/dialogue` with JSON `{ prompt | messages, params?, requestId?, scope? }`: the
 * request's events as server-sent events (`writeSSE`), one message per event, ending after the
 * terminal event. `prompt` is one user message; `messages` (`ChatMessage[]`) a whole
 * conversation, the user's question last: exactly one of the two, else 400. `params`
 * (`GenerationParams`) reach every expert and are part of the cache key. The request runs for the
 * caller's tenant (`startTenantRequest`): `requestId` is the tenant's own (the events carry it
 * back), the cache scope is the tenant, narrowed by `scope`. The pipeline validates the prompt or
 * the messages, params, requestId and scope itself (a problem is an `error` event of kind
 * `validation` in the stream); only the body's shape is refused here (400), and a tenant over its
 * limits gets a 429. Closing the connection cancels the request.
 */
import { HttpError } from '../http-error';
import { readJsonBody } from '../read-json-body';
import type { Route } from '../route';
import { startTenantRequest } from '../tenancy/start-tenant-request';
import { writeSSE, type DialogueInput, type GenerationParams } from '../../index';

const SHAPE = '{ "prompt": string } or { "messages": [{ "role", "content" }, ...] }, with "params"?, "requestId"?, "scope"?';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The prompt or the conversation of a body (unchecked inside: the pipeline checks it); a 400 when the body has both, neither, or `messages` that is no array. */
const inputOf = (body: Record<string, unknown>): DialogueInput => {
  const { prompt, messages } = body;
  if (prompt !== undefined && messages !== undefined) throw new HttpError(400, `Give either "prompt" or "messages", not both: ${SHAPE}`, 'invalid_request');
  if (messages !== undefined) {
    if (!Array.isArray(messages)) throw new HttpError(400, `"messages" must be an array of chat messages: ${SHAPE}`, 'invalid_request');
    return messages as DialogueInput;
  }
  if (prompt === undefined) throw new HttpError(400, `Missing "prompt" or "messages": ${SHAPE}`, 'invalid_request');
  return prompt as string;
};

/** The dialogue route. */
export const dialogueRoute: Route = {
  method: 'POST',
  path: '/api/dialogue',
  handler: async (context) => {
    const { req, res, server } = context;
    const body = await readJsonBody(req, server.bodyLimitBytes, server.bodyTimeoutMs);
    if (!isObject(body)) throw new HttpError(400, `Request body must be a JSON object ${SHAPE}`, 'invalid_request');
    const input = inputOf(body);
    const { requestId, scope, params } = body;
    // Unchecked on purpose: the pipeline checks every field and reports all problems as an `error` event.
    // `params: null` is absent, as on /v1 and /api/chat.
    const { events$ } = startTenantRequest(context, { requestId, scope },
      (options) => server.plugin.process(input, params === undefined || params === null ? options : { ...options, params: params as GenerationParams }));
    writeSSE(events$, res, { heartbeatMs: server.heartbeatMs });
  },
};
