/**
 * `GET /readyz`, the readiness check (see `../readiness.ts`): 200 `{ "status": "ready" }`, or 503
 * `{ "status": "unready", "reason": "draining" | "cache-error" | "cache-timeout", "message" }`
 * once the shutdown has started or while the cache fails its probe. Answers within the probe's
 * deadline; needs no API key, like `/healthz` (which stays 200 while the process serves).
 */
import { firstValueFrom } from 'rxjs';
import { sendJson } from '../respond';
import type { Route } from '../route';

/** The readiness route. */
export const readyzRoute: Route = {
  method: 'GET',
  path: '/readyz',
  open: true,
  handler: async ({ res, server }) => {
    const verdict = await firstValueFrom(server.readiness());
    if (verdict.ready) sendJson(res, 200, { status: 'ready' });
    else sendJson(res, 503, { status: 'unready', reason: verdict.reason, message: verdict.message });
  },
};
