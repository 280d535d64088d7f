/** `POST /api/cancel/:requestId`: 204 when the request was in flight (it ends with `cancelled`), 404 when it is not. */
import { HttpError } from '../http-error';
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
  handler: ({ res, params, server }) => {
    if (!server.plugin.cancel(decode(params.requestId))) throw new HttpError(404, 'No request with this id is in flight', 'request_not_found');
    sendNoContent(res);
  },
};
