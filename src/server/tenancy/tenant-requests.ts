/**
 * Request ids per tenant. A client names its request (or gets a UUID); the plugin runs it under
 * an id derived from the tenant and the client's id, `<tenant>.<first 32 hex digits of
 * SHA-256(tenant, client id)>`, and the events go back under the client's id. So two tenants can
 * both use "r1" at once, and one tenant can neither cancel, see nor block another's request: a
 * route only ever derives ids with the caller's own tenant.
 *
 * The derivation keeps no state: a duplicate id of the same tenant derives the same plugin id,
 * which the plugin refuses as it refuses any duplicate (`duplicate-request`); a cancel derives
 * the id and asks the plugin, which also passes the order on to other replicas (with
 * `coordination`), as before. Nothing is remembered between requests.
 *
 * - An invalid client id goes to the plugin as `null`: it fails the plugin's validation with the
 *   usual message, and is never registered under a name another tenant could also send.
 * - The tenant is the cache scope; a client scope narrows it (`<tenant>/<scope>`). A scope that
 *   is not a non-empty string is passed on as is, so the plugin reports it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { finalize, map, type Observable } from 'rxjs';
import type { Context } from '@opentelemetry/api';
import { isRequestId, type PipelineEvent } from '../../index';
import type { ServedPlugin } from '../route';

/** What a client asked for. */
export interface RunCall { readonly requestId?: unknown; readonly scope?: unknown; readonly traceContext?: Context }

/** The options a run gives the plugin (`requestId` and `scope` unchecked: the plugin checks them). */
export interface RunOptions {
  readonly requestId: string | undefined;
  readonly scope: string | undefined;
  /** The tenant, for the plugin's `onSystemError` context and request span. */
  readonly tenant: string;
  /** The caller's trace (an incoming `traceparent`), parent of the request's span. */
  readonly traceContext?: Context;
}

/** One admitted request of a tenant. */
export interface TenantRun {
  /** The client's id: given, or a fresh UUID; undefined when the client gave something that is no string. */
  readonly requestId: string | undefined;
  /** The plugin's events, relabelled with the client's id; `onEnd` runs when they end. */
  events(start: (options: RunOptions) => Observable<PipelineEvent>): Observable<PipelineEvent>;
  /** Runs `onEnd` (also when `events` was never subscribed). Safe to call more than once. */
  end(): void;
}

/** Runs and cancels requests under per-tenant ids. */
export interface TenantRequests {
  /** A run of `tenant`; `onEnd` runs once when it ends. */
  start(tenant: string, call: RunCall, onEnd: () => void): TenantRun;
  /** Cancels the tenant's request `clientId`: false when this tenant has none by that id in flight here. */
  cancel(tenant: string, clientId: string): boolean;
}

/** The plugin's id for the tenant's request `clientId` (a valid request id: tenant names allow no other characters). */
export const pluginRequestId = (tenant: string, clientId: string): string =>
  `${tenant}.${createHash('sha256').update(`${tenant}\n${clientId}`, 'utf8').digest('hex').slice(0, 32)}`;

/** The tenant's cache scope, narrowed by the client's. */
export const tenantScope = (tenant: string, scope: unknown): unknown =>
  (scope === undefined ? tenant : typeof scope === 'string' && scope !== '' ? `${tenant}/${scope}` : scope);

/** `event` under the client's id; the plugin's id in an error's text is replaced too (a duplicate's message names it). */
const relabel = (clientId: string) => (event: PipelineEvent): PipelineEvent => {
  if (event.requestId === clientId) return event;
  if (event.type !== 'error') return { ...event, requestId: clientId };
  const swap = (text: string): string => text.split(event.requestId).join(clientId);
  const { issues } = event.error;
  return { ...event, requestId: clientId, error: { ...event.error, message: swap(event.error.message), ...(issues === undefined ? {} : { issues: issues.map(swap) }) } };
};

/** Tenant requests over `plugin`. */
export const createTenantRequests = (plugin: Pick<ServedPlugin, 'cancel'>): TenantRequests => {
  const start = (tenant: string, call: RunCall, onEnd: () => void): TenantRun => {
    const given = call.requestId;
    const valid = given === undefined || isRequestId(given);
    const clientId = given === undefined ? randomUUID() : typeof given === 'string' ? given : undefined;
    const pluginId = valid && clientId !== undefined ? pluginRequestId(tenant, clientId) : null;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      onEnd();
    };
    const options: RunOptions = {
      requestId: pluginId as string | undefined, scope: tenantScope(tenant, call.scope) as string | undefined, tenant,
      ...(call.traceContext === undefined ? {} : { traceContext: call.traceContext }),
    };
    const events = (run: (options: RunOptions) => Observable<PipelineEvent>): Observable<PipelineEvent> => {
      // Called now, so a plugin that throws fails the route (a 500), not the stream.
      const events$ = run(options);
      return (clientId === undefined ? events$ : events$.pipe(map(relabel(clientId)))).pipe(finalize(end));
    };
    return { requestId: clientId, events, end };
  };

  const cancel = (tenant: string, clientId: string): boolean => isRequestId(clientId) && plugin.cancel(pluginRequestId(tenant, clientId));

  return { start, cancel };
};
