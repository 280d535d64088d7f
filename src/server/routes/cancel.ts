/**
 * `POST /api/cancel/:requestId`: 204 when the caller's tenant has a request with this id in flight
 * (it ends with `cancelled`), 404 otherwise. Another tenant's request, a finished one and an id
 * never used all get the very same 404: ids cannot be probed across tenants.
 */
import { HttpError, internalError } from '../http-error';
import { sendNoContent } from '../respond';
import type { Route } from '../route';

const decode = (raw: string): string => {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'The request id in the path is not valid percent-encoding', 'invalid_request');
  }
};

/** The cancel route. */
export const cancelRoute: Route = {
  method: 'POST',
  path: '/api/cancel/:requestId',
  handler: ({ res, params, server, tenant, record }) => {
    if (tenant === undefined) throw internalError();
    const requestId = decode(params.requestId);
    record.requestId = requestId;
    if (!server.requests.cancel(tenant, requestId)) throw new HttpError(404, 'No request with this id is in flight', 'request_not_found');
    sendNoContent(res);
  },
};
