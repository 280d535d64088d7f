/**
 * Request ids per tenant. A client names its request (or gets a UUID); the plugin runs it under an
 * id of the server's choosing (a fresh UUID), and the events go back to the client under the
 * client's id. So two tenants can both use "r1" at once, and one tenant can neither cancel, see
 * nor block another's request: every look-up is within the caller's tenant.
 *
 * - A client id already in flight FOR THIS TENANT goes to the plugin as the running request's
 *   plugin id, so the plugin refuses it exactly as it refuses any duplicate (`duplicate-request`).
 * - An invalid client id goes to the plugin as `null`: it fails the plugin's validation with the
 *   usual message, and is never registered under a name another tenant could also send.
 * - The tenant is the cache scope; a client scope narrows it (`<tenant>/<scope>`). A scope that
 *   is not a non-empty string is passed on as is, so the plugin reports it.
 *
 * State lives only while a request is in flight (a map per tenant, dropped when empty).
 */
import { randomUUID } from 'node:crypto';
import { finalize, map, tap, type Observable } from 'rxjs';
import { isRequestId, isTerminal, type PipelineEvent } from '../../index';
import type { ServedPlugin } from '../route';

/** What a client asked for. */
export interface RunCall { readonly requestId?: unknown; readonly scope?: unknown }

/** The options a run gives the plugin (`requestId` and `scope` unchecked: the plugin checks them). */
export interface RunOptions { readonly requestId: string | undefined; readonly scope: string | undefined }

/** One admitted request of a tenant. */
export interface TenantRun {
  /** The client's id: given, or a fresh UUID; undefined when the client gave something that is no string. */
  readonly requestId: string | undefined;
  /** The plugin's events, relabelled with the client's id; the run ends (and is forgotten) with them. */
  events(start: (options: RunOptions) => Observable<PipelineEvent>): Observable<PipelineEvent>;
  /** Forgets the run (also when `events` was never subscribed). Safe to call more than once. */
  end(): void;
}

/** The registry. */
export interface TenantRequests {
  /** Registers a run of `tenant`; `onEnd` runs once when it ends. */
  start(tenant: string, call: RunCall, onEnd: () => void): TenantRun;
  /** Cancels the tenant's request `clientId`: false when this tenant has none by that id in flight. */
  cancel(tenant: string, clientId: string): boolean;
  /** How many tenants have requests in flight. */
  readonly size: number;
}

interface Flight { readonly pluginId: string; ended: boolean }

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

/** A registry for `plugin`'s requests. */
export const createTenantRequests = (plugin: Pick<ServedPlugin, 'cancel'>): TenantRequests => {
  const tenants = new Map<string, Map<string, Flight>>();
  const live = (tenant: string, clientId: string): Flight | undefined => {
    const flight = tenants.get(tenant)?.get(clientId);
    return flight !== undefined && !flight.ended ? flight : undefined;
  };
  const register = (tenant: string, clientId: string, flight: Flight): void => {
    const flights = tenants.get(tenant) ?? new Map<string, Flight>();
    flights.set(clientId, flight);
    tenants.set(tenant, flights);
  };
  const forget = (tenant: string, clientId: string, flight: Flight): void => {
    flight.ended = true;
    const flights = tenants.get(tenant);
    if (flights?.get(clientId) !== flight) return;
    flights.delete(clientId);
    if (flights.size === 0) tenants.delete(tenant);
  };

  const start = (tenant: string, call: RunCall, onEnd: () => void): TenantRun => {
    const given = call.requestId;
    let clientId: string | undefined;
    let pluginId: string | null | undefined;
    let owned: Flight | undefined;
    if (given === undefined || isRequestId(given)) {
      clientId = given ?? randomUUID();
      const running = live(tenant, clientId);
      pluginId = running?.pluginId ?? (given === undefined ? clientId : randomUUID());
      if (running === undefined) register(tenant, clientId, owned = { pluginId, ended: false });
    } else {
      clientId = typeof given === 'string' ? given : undefined;
      pluginId = null;
    }
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (owned !== undefined && clientId !== undefined) forget(tenant, clientId, owned);
      onEnd();
    };
    const options = { requestId: pluginId as string | undefined, scope: tenantScope(tenant, call.scope) as string | undefined };
    const events = (run: (options: RunOptions) => Observable<PipelineEvent>): Observable<PipelineEvent> => {
      // Called now, so a plugin that throws fails the route (a 500), not the stream.
      const events$ = run(options).pipe(tap((event) => {
        // The terminal event frees the id at once, before the client even reads it.
        if (isTerminal(event) && owned !== undefined) owned.ended = true;
      }));
      return (clientId === undefined ? events$ : events$.pipe(map(relabel(clientId)))).pipe(finalize(end));
    };
    return { requestId: clientId, events, end };
  };

  const cancel = (tenant: string, clientId: string): boolean => {
    const flight = live(tenant, clientId);
    return flight !== undefined && plugin.cancel(flight.pluginId);
  };

  return { start, cancel, get size() { return tenants.size; } };
};
