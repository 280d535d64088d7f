/**
 * `POST /api/dialogue` with JSON `{ prompt, requestId?, scope? }`: the request's events as
 * server-sent events (`writeSSE`), one message per event, ending after the terminal event. The
 * request runs for the caller's tenant (`startTenantRequest`): `requestId` is the tenant's own
 * (the events carry it back), the cache scope is the tenant, narrowed by `scope`. The pipeline
 * validates prompt, requestId and scope itself (a problem is an `error` event in the stream);
 * only a body that is not a JSON object is refused here (400), and a tenant over its limits gets
 * a 429. Closing the connection cancels the request.
 */
import { HttpError } from '../http-error';
import { readJsonBody } from '../read-json-body';
import type { Route } from '../route';
import { startTenantRequest } from '../tenancy/start-tenant-request';
import { writeSSE } from '../../index';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The dialogue route. */
export const dialogueRoute: Route = {
  method: 'POST',
  path: '/api/dialogue',
  handler: async (context) => {
    const { req, res, server } = context;
    const body = await readJsonBody(req, server.bodyLimitBytes, server.bodyTimeoutMs);
    if (!isObject(body)) throw new HttpError(400, 'Request body must be a JSON object { "prompt": string, "requestId"?: string, "scope"?: string }', 'invalid_request');
    const { prompt, requestId, scope } = body;
    // Unchecked on purpose: the pipeline checks every field and reports all problems as an `error` event.
    const { events$ } = startTenantRequest(context, { requestId, scope }, (options) => server.plugin.process(prompt as string, options));
    writeSSE(events$, res, { heartbeatMs: server.heartbeatMs });
  },
};
