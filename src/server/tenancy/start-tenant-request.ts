/**
 * How a route runs the caller's request: admitted by the tenant's limits (a 429 is thrown before
 * anything is sent), under the tenant's request ids and cache scope (`tenant-requests.ts`),
 * counted in the metrics and noted for the log line. The tenant's slot is given back when the
 * events end or the response closes, whichever comes first. The plugin is told the tenant (for
 * `onSystemError` and the request span) and, when the client sent a `traceparent`, its trace.
 */
import type { Observable } from 'rxjs';
import { incomingTraceContext, type PipelineEvent } from '../../index';
import { internalError } from '../http-error';
import { recordEvents } from '../logging/request-record';
import type { RouteContext } from '../route';
import type { RunCall, RunOptions } from './tenant-requests';

/** A started request: the client's id and its events. */
export interface StartedRequest {
  /** The client's request id (given or generated); undefined when the client sent a non-string. */
  readonly requestId: string | undefined;
  readonly events$: Observable<PipelineEvent>;
}

/** Starts `run` for the caller's tenant (see the file comment); throws the 429 when a limit is reached. */
export const startTenantRequest = (
  { req, res, server, tenant, record }: RouteContext,
  call: RunCall,
  run: (options: RunOptions) => Observable<PipelineEvent>,
): StartedRequest => {
  if (tenant === undefined) throw internalError();
  const release = server.limits.admit(tenant);
  const traceContext = incomingTraceContext(req.headers);
  const started = server.requests.start(tenant, traceContext === undefined ? call : { ...call, traceContext }, release);
  record.requestId = started.requestId;
  if (res.destroyed) started.end();
  else res.once('close', started.end);
  return { requestId: started.requestId, events$: started.events(run).pipe(server.metrics.track(), recordEvents(record)) };
};
