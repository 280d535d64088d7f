/** `GET /healthz`: 200 `{ "status": "ok" }` while the process serves; needs no API key. */
import { sendJson } from '../respond';
import type { Route } from '../route';

/** The health check route. */
export const healthzRoute: Route = {
  method: 'GET',
  path: '/healthz',
  open: true,
  handler: ({ res }) => sendJson(res, 200, { status: 'ok' }),
};
