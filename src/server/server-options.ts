/** The options of `createDialogueServer`, checked once (one TypeError listing every problem), with their defaults. */
import { defaultMaxConnections } from './connections/connection-limit';
import type { CorsOptions } from './cors';
import { allowedHostsProblems } from './guards/allowed-hosts';
import { DEFAULT_TIMEOUTS, timeoutsProblems, type ResolvedTimeouts, type ServerTimeoutOptions } from './connections/server-timeouts';
import { logOptionsProblems, type LogOptions } from './logging/server-logger';
import { DEFAULT_BODY_LIMIT_BYTES } from './read-json-body';
import type { ReadinessOptions } from './readiness';
import type { ServedPlugin } from './route';
import { tokenAccountingProblems, type TokenAccounting } from './token-accounting';
import { API_KEY_PATTERN, apiKeysProblems, type ApiKeys } from './tenancy/api-keys';
import { DEFAULT_TENANT_LIMITS, tenantLimitsProblems, type ResolvedTenantLimits, type TenantLimitOptions } from './tenancy/tenant-limits';

/** Options of `createDialogueServer` (`expertModels` and `pricing`: see `token-accounting.ts`). */
export interface DialogueServerOptions extends TokenAccounting {
  /** The plugin that runs the requests (a `DialoguePlugin`). The server never closes it. */
  readonly plugin: ServedPlugin;
  /** One key for one implicit tenant (`default`): every route but `/healthz` and `/` needs `Authorization: Bearer <apiKey>`. Must be non-empty. */
  readonly apiKey?: string;
  /**
   * API keys, each acting for a tenant: `{ "<key>": { tenant: "alice" } }` (several keys may share
   * a tenant). The tenant is the cache scope and owns its request ids. Not together with `apiKey`.
   */
  readonly apiKeys?: ApiKeys;
  /** The key for `GET /metrics` (and only it). Without it, see `routes/metrics.ts`. */
  readonly metricsKey?: string;
  /** Host names the server answers to besides the loopback names and its own address (see `guards/allowed-hosts.ts`); `['*']`: any. */
  readonly allowedHosts?: readonly string[];
  /** Per-tenant limits: `concurrent` (default 16) and `perMinute` (default 300) requests. */
  readonly tenantLimits?: TenantLimitOptions;
  /** Most open connections; past it the oldest idle one is closed (see `connections/connection-limit.ts`). Default 512, or half the file-descriptor limit when lower. */
  readonly maxConnections?: number;
  /** Time limits (see `connections/server-timeouts.ts`). */
  readonly timeouts?: ServerTimeoutOptions;
  /** One JSON line per request (and for errors), redacted; off unless given. */
  readonly log?: LogOptions;
  /** Largest accepted request body; default 64 KiB. Larger ones get 413. */
  readonly bodyLimitBytes?: number;
  /** CORS is off unless an origin is given (`*` or e.g. `https://app.example.com`). */
  readonly cors?: CorsOptions;
  /** Model names for `/v1/models` and `/v1/chat/completions`; default `['dialogue-pipeline']`. */
  readonly models?: readonly string[];
  /** Interval of the SSE heartbeat comments on both streaming routes; 0 = none. Default 15000 ms. */
  readonly heartbeatMs?: number;
  /** Told about unexpected errors in a route (the client gets a generic 500; the log gets a redacted line). Default: none. */
  readonly onError?: (error: unknown) => void;
  /** Wall clock in ms for OpenAI's `created` fields and the per-minute limits; default `Date.now`. */
  readonly now?: () => number;
  /** What `GET /readyz` probes besides draining (see `readiness.ts`): the plugin's cache, and the probe's deadline. Default: nothing. */
  readonly readiness?: ReadinessOptions;
  /** Stream the experts' tokens as `delta.reasoning_content` on `/v1/chat/completions` (see `openai/write-chat-stream.ts`); default true. */
  readonly openAIReasoning?: boolean;
}

/** The options after defaults. */
export interface ResolvedServerOptions {
  readonly plugin: ServedPlugin;
  readonly apiKey: string | undefined;
  readonly apiKeys: ApiKeys | undefined;
  readonly metricsKey: string | undefined;
  readonly allowedHosts: readonly string[];
  readonly tenantLimits: ResolvedTenantLimits;
  readonly maxConnections: number;
  readonly timeouts: ResolvedTimeouts;
  readonly log: LogOptions | undefined;
  readonly bodyLimitBytes: number;
  readonly cors: CorsOptions | undefined;
  readonly models: readonly string[];
  readonly heartbeatMs: number;
  readonly onError: (error: unknown) => void;
  readonly now: () => number;
  readonly readiness: ReadinessOptions;
  readonly openAIReasoning: boolean;
  readonly accounting: TokenAccounting;
}

/** The default model list. */
export const DEFAULT_MODELS: readonly string[] = ['dialogue-pipeline'];

const HEADER_SAFE = /^[\t\x20-\x7e]+$/;

const readinessProblems = (r: ReadinessOptions): string[] => {
  if (typeof r !== 'object' || r === null) return ['readiness must be an object'];
  const problems: string[] = [];
  if (r.cache !== undefined && typeof (r.cache as { get?: unknown } | null)?.get !== 'function') problems.push('readiness.cache must be a ResponseCache');
  if (r.timeoutMs !== undefined && !(Number.isSafeInteger(r.timeoutMs) && r.timeoutMs > 0)) problems.push('readiness.timeoutMs must be a positive integer');
  return problems;
};

const problemsOf = (o: DialogueServerOptions): string[] => {
  const problems: string[] = [];
  const plugin = o.plugin as Partial<Record<keyof ServedPlugin, unknown>> | undefined;
  if (typeof plugin !== 'object' || plugin === null || (['process', 'cancel', 'active', 'expertHealth'] as const).some((m) => typeof plugin[m] !== 'function')) {
    problems.push('plugin must be a DialoguePlugin');
  }
  if (o.apiKey !== undefined && (typeof o.apiKey !== 'string' || o.apiKey === '')) problems.push('apiKey must be a non-empty string when given');
  problems.push(...apiKeysProblems(o.apiKeys, o.apiKey));
  if (o.metricsKey !== undefined && !(typeof o.metricsKey === 'string' && API_KEY_PATTERN.test(o.metricsKey))) {
    problems.push('metricsKey must be 1-1024 printable ASCII characters without spaces');
  }
  problems.push(...allowedHostsProblems(o.allowedHosts), ...tenantLimitsProblems(o.tenantLimits), ...timeoutsProblems(o.timeouts), ...logOptionsProblems(o.log));
  if (o.maxConnections !== undefined && !(Number.isSafeInteger(o.maxConnections) && o.maxConnections > 0)) problems.push('maxConnections must be a positive integer');
  if (o.bodyLimitBytes !== undefined && !(Number.isSafeInteger(o.bodyLimitBytes) && o.bodyLimitBytes > 0)) problems.push('bodyLimitBytes must be a positive integer');
  if (o.cors !== undefined && !(typeof o.cors?.origin === 'string' && HEADER_SAFE.test(o.cors.origin))) problems.push('cors.origin must be a non-empty string of printable ASCII');
  if (o.models !== undefined && !(Array.isArray(o.models) && o.models.length > 0 && o.models.every((m) => typeof m === 'string' && m !== ''))) {
    problems.push('models must be a non-empty array of non-empty strings');
  }
  if (o.heartbeatMs !== undefined && !(Number.isFinite(o.heartbeatMs) && o.heartbeatMs >= 0)) problems.push('heartbeatMs must be a number >= 0');
  if (o.onError !== undefined && typeof o.onError !== 'function') problems.push('onError must be a function');
  if (o.now !== undefined && typeof o.now !== 'function') problems.push('now must be a function');
  if (o.readiness !== undefined) problems.push(...readinessProblems(o.readiness));
  if (o.openAIReasoning !== undefined && typeof o.openAIReasoning !== 'boolean') problems.push('openAIReasoning must be a boolean');
  problems.push(...tokenAccountingProblems(o));
  return problems;
};

const withDefaults = (given: ServerTimeoutOptions): ResolvedTimeouts => ({
  headersMs: given.headersMs ?? DEFAULT_TIMEOUTS.headersMs,
  requestMs: given.requestMs ?? DEFAULT_TIMEOUTS.requestMs,
  bodyMs: given.bodyMs ?? DEFAULT_TIMEOUTS.bodyMs,
  keepAliveMs: given.keepAliveMs ?? DEFAULT_TIMEOUTS.keepAliveMs,
  idleMs: given.idleMs ?? DEFAULT_TIMEOUTS.idleMs,
});

/** The options with defaults; throws a TypeError naming every problem. */
export const resolveServerOptions = (options: DialogueServerOptions): ResolvedServerOptions => {
  const problems = typeof options === 'object' && options !== null ? problemsOf(options) : ['options must be an object'];
  if (problems.length > 0) throw new TypeError(`createDialogueServer: ${problems.join('; ')}`);
  return {
    plugin: options.plugin,
    apiKey: options.apiKey,
    apiKeys: options.apiKeys,
    metricsKey: options.metricsKey,
    allowedHosts: [...(options.allowedHosts ?? [])],
    tenantLimits: {
      concurrent: options.tenantLimits?.concurrent ?? DEFAULT_TENANT_LIMITS.concurrent,
      perMinute: options.tenantLimits?.perMinute ?? DEFAULT_TENANT_LIMITS.perMinute,
    },
    maxConnections: options.maxConnections ?? defaultMaxConnections(),
    timeouts: withDefaults(options.timeouts ?? {}),
    log: options.log,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    cors: options.cors === undefined ? undefined : { origin: options.cors.origin },
    models: [...(options.models ?? DEFAULT_MODELS)],
    heartbeatMs: options.heartbeatMs ?? 15_000,
    onError: options.onError ?? (() => undefined),
    now: options.now ?? Date.now,
    readiness: { cache: options.readiness?.cache, timeoutMs: options.readiness?.timeoutMs },
    openAIReasoning: options.openAIReasoning ?? true,
    accounting: { expertModels: options.expertModels, pricing: options.pricing },
  };
};
