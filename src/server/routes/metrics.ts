/**
 * `GET /metrics`: the server's Prometheus metrics in the text exposition format. With the
 * `metricsKey` option, only `Authorization: Bearer <metricsKey>` opens it (tenant keys do not:
 * the figures cover every tenant, and name them). Without it: the API key when the server has one
 * tenant, nobody (403) when it has several, everyone when it has no keys.
 */
import type { Route } from '../route';

/** The metrics route. */
export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  access: 'metrics',
  handler: async ({ res, server }) => {
    const { registry } = server.metrics;
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  },
};
