/**
 * `createDialogueServer(options)`: the library's HTTP front end on Node's `http` alone.
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /` | a placeholder page (the demo page later) |
 * | `POST /api/dialogue` `{ prompt, requestId?, scope? }` | the events as SSE |
 * | `POST /api/cancel/:requestId` | 204, or 404 when not in flight |
 * | `POST /v1/chat/completions` | OpenAI-compatible, `stream` true or false |
 * | `GET /v1/models` | the `models` list |
 * | `GET /metrics` | Prometheus text (see `server-metrics.ts`) |
 * | `GET /healthz` | `{ "status": "ok" }` while the process serves (liveness), no API key needed |
 * | `GET /readyz` | 200 `{ "status": "ready" }`, or 503 once draining or while the cache fails its probe (`readiness.ts`), no API key needed |
 *
 * Errors are JSON `{ error: { message, type, code } }`: 404 unknown route, 405 wrong method (with
 * `Allow`), 401 missing or wrong key (with `WWW-Authenticate: Bearer`), 415 not JSON, 413 body
 * over `bodyLimitBytes`, 400 bad JSON. A client that disconnects cancels its request. The server
 * does not listen by itself (call `listen`, on loopback unless you mean otherwise) and never
 * closes the plugin: see `gracefulShutdown` for stopping both.
 */
import { createServer, type Server } from 'node:http';
import { bearerAuth } from './auth';
import { createRequestHandler } from './handle-request';
import type { ServerContext } from './route';
import { dialogueRoutes } from './routes';
import { checkReadiness, isDraining } from './readiness';
import { createServerMetrics } from './server-metrics';
import { resolveServerOptions, type DialogueServerOptions } from './server-options';

/** Creates the server (not yet listening). Throws a TypeError listing every problem with the options. */
export function createDialogueServer(options: DialogueServerOptions): Server {
  const config = resolveServerOptions(options);
  const readiness = () => checkReadiness(() => isDraining(server), config.readiness);
  const context: ServerContext = {
    plugin: config.plugin,
    metrics: createServerMetrics(config.plugin, readiness),
    bodyLimitBytes: config.bodyLimitBytes,
    models: config.models,
    heartbeatMs: config.heartbeatMs,
    now: config.now,
    startedAt: config.now(),
    readiness,
  };
  const authorize = config.apiKey === undefined ? () => true : bearerAuth(config.apiKey);
  const handle = createRequestHandler(dialogueRoutes, context, { authorize, cors: config.cors, onError: config.onError });
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  return server;
}
