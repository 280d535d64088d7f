/** `GET /metrics`: the server's Prometheus metrics in the text exposition format. */
import type { Route } from '../route';

/** The metrics route. */
export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  handler: async ({ res, server }) => {
    const { registry } = server.metrics;
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  },
};
