/** What a route is: a method, a path pattern and a handler that gets the request and the server's context. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import type { DialoguePlugin } from '../index';
import type { RequestRecord } from './logging/request-record';
import type { ReadinessVerdict } from './readiness';
import type { ServerMetrics } from './server-metrics';
import type { TenantLimits } from './tenancy/tenant-limits';
import type { TenantRequests } from './tenancy/tenant-requests';

/** The plugin methods the server uses (a `DialoguePlugin`, or anything shaped like one). */
export type ServedPlugin = Pick<DialoguePlugin, 'process' | 'cancel' | 'active' | 'expertHealth'>;

/** What every handler of one server shares. */
export interface ServerContext {
  readonly plugin: ServedPlugin;
  readonly metrics: ServerMetrics;
  readonly bodyLimitBytes: number;
  /** The model names `/v1/models` lists and `/v1/chat/completions` accepts. */
  readonly models: readonly string[];
  /** Interval of the SSE heartbeat comments (0: none). */
  readonly heartbeatMs: number;
  /** Whether `/v1/chat/completions` streams the experts' tokens as `reasoning_content`. */
  readonly openAIReasoning: boolean;
  /** Wall-clock milliseconds, for OpenAI's `created` fields. */
  readonly now: () => number;
  /** When the server was created (`now()`), as `created` of the models. */
  readonly startedAt: number;
  /** One readiness check (draining, then the cache probe): one verdict, in bounded time. */
  readonly readiness: () => Observable<ReadinessVerdict>;
  /** Per-tenant request ids and cancellation; routes run requests through `startTenantRequest`. */
  readonly requests: TenantRequests;
  /** The per-tenant limits. */
  readonly limits: TenantLimits;
  /** Deadline for reading a JSON body (0: none); pass it to `readJsonBody`. */
  readonly bodyTimeoutMs: number;
}

/** One request as a handler sees it; `params` holds the path's `:name` segments, still percent-encoded. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly server: ServerContext;
  /** The caller's tenant: set on every route that needs a key (every caller is `default` when the server has no keys). */
  readonly tenant?: string;
  /** What the request's log line will say; routes that run a request fill it through `startTenantRequest`. */
  readonly record: RequestRecord;
}

/** Answers a request; throwing (or rejecting with) an `HttpError` answers with that error. */
export type RouteHandler = (context: RouteContext) => void | Promise<void>;

/** A route: `GET` routes answer `HEAD` too. `open` routes need no API key; `access: 'metrics'` ones need the metrics key. */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** Segments separated by `/`; `:name` matches one non-empty segment. */
  readonly path: string;
  readonly handler: RouteHandler;
  readonly open?: boolean;
  readonly access?: 'metrics';
}
