/**
 * `createDialogueServer(options)`: the library's HTTP front end on Node's `http` alone.
 *
 * | route | answer | key |
 * | --- | --- | --- |
 * | `GET /` | the demo page | none |
 * | `POST /api/dialogue` `{ prompt, requestId?, scope? }` | the events as SSE | tenant |
 * | `POST /api/cancel/:requestId` | 204, or 404 when the caller's tenant has no such request in flight | tenant |
 * | `POST /v1/chat/completions` | OpenAI-compatible, `stream` true or false; `X-Client-Request-Id` names the request | tenant |
 * | `GET /v1/models` | the `models` list | tenant |
 * | `GET /metrics` | Prometheus text (see `server-metrics.ts`) | `metricsKey` (see `routes/metrics.ts`) |
 * | `POST /api/chat` | the Vercel AI SDK UI message stream (`useChat`) | tenant |
 * | `GET /healthz` | `{ "status": "ok" }` while the process serves (liveness) | none |
 * | `GET /readyz` | 200 `{ "status": "ready" }`, or 503 once draining or while the cache fails its probe (`readiness.ts`) | none |
 *
 * Tenants: each API key (`apiKeys`, or the single `apiKey`: tenant `default`; no key at all:
 * everyone is `default`) acts for a tenant. The tenant is the cache scope (a body `scope` only
 * narrows it: `<tenant>/<scope>`), owns its request ids (another tenant's are invisible: same
 * 404, no duplicate clash) and has its own limits (`tenantLimits`: 429 with `Retry-After`).
 *
 * Hostile clients: Host must name this server (421, `allowedHosts`), a foreign Origin or a
 * cross-site form post is refused (403, 415), connections are capped (`maxConnections`: the
 * oldest idle one makes room), and every phase has a time limit (`timeouts`).
 *
 * Errors are JSON `{ error: { message, type, code } }`: 404 unknown route, 405 wrong method (with
 * `Allow`), 401 missing or wrong key (with `WWW-Authenticate: Bearer`), 403 cross-site or metrics
 * without its key, 408 body too slow, 415 not JSON, 413 body over `bodyLimitBytes`, 421 Host not
 * allowed, 429 tenant limit, 400 bad JSON. A client that disconnects cancels its request. With
 * `log`, one redacted JSON line per request. The server does not listen by itself (call `listen`,
 * on loopback unless you mean otherwise) and never closes the plugin: see `gracefulShutdown`.
 */
import { createServer, type Server } from 'node:http';
import { bearerAuth } from './auth';
import { limitConnections, type ConnectionStats } from './connections/connection-limit';
import { applyIdleTimeout, timeoutServerOptions } from './connections/server-timeouts';
import { createHostCheck } from './guards/allowed-hosts';
import { createRequestHandler } from './handle-request';
import { createServerLog } from './logging/server-logger';
import type { ServerContext } from './route';
import { dialogueRoutes } from './routes';
import { checkReadiness, isDraining } from './readiness';
import { createServerMetrics } from './server-metrics';
import { resolveServerOptions, type DialogueServerOptions } from './server-options';
import { createKeyRing, keysOf } from './tenancy/api-keys';
import { createTenantLimits } from './tenancy/tenant-limits';
import { createTenantRequests } from './tenancy/tenant-requests';

/** Creates the server (not yet listening). Throws a TypeError listing every problem with the options. */
export function createDialogueServer(options: DialogueServerOptions): Server {
  const config = resolveServerOptions(options);
  let connections: ConnectionStats | undefined;
  const readiness = () => checkReadiness(() => isDraining(server), config.readiness);
  const metrics = createServerMetrics(config.plugin, { readiness, openConnections: () => connections?.open ?? 0, accounting: config.accounting });
  const log = createServerLog(config.log);
  const context: ServerContext = {
    plugin: config.plugin,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    bodyTimeoutMs: config.timeouts.bodyMs,
    models: config.models,
    heartbeatMs: config.heartbeatMs,
    openAIReasoning: config.openAIReasoning,
    now: config.now,
    startedAt: config.now(),
    requests: createTenantRequests(config.plugin),
    limits: createTenantLimits(config.tenantLimits, config.now, (tenant, limit) => metrics.limited(tenant, limit)),
    readiness,
  };
  const handle = createRequestHandler(dialogueRoutes, context, {
    keys: createKeyRing(keysOf(config.apiKey, config.apiKeys)),
    metricsKey: config.metricsKey === undefined ? undefined : bearerAuth(config.metricsKey),
    hosts: createHostCheck(config.allowedHosts),
    cors: config.cors,
    log,
    onError: config.onError,
  });
  const server = createServer(timeoutServerOptions(config.timeouts), (req, res) => {
    void handle(req, res);
  });
  applyIdleTimeout(server, config.timeouts);
  connections = limitConnections(server, config.maxConnections, (how) => metrics.dropped(how));
  return server;
}
