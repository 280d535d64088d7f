/**
 * What one request's log line says, filled in while the request runs: the tenant (after
 * authentication), the client's request id, and from the pipeline's events the outcome, time to
 * first token, cache hit and tokens. Never the prompt, a header or a key.
 */
import { defer, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { isTerminal, type PipelineEvent } from '../../index';

/** How a request ended, as the log says it. */
export type RequestOutcome = 'complete' | 'error' | 'cancelled' | 'client-left';

/** The mutable record of one request (see the file comment). */
export interface RequestRecord {
  /** The route's path pattern (`/api/cancel/:requestId`), never the raw target. */
  route?: string;
  tenant?: string;
  requestId?: string;
  outcome?: RequestOutcome;
  /** The `kind` of an `error` event. */
  errorKind?: string;
  /** From the `metrics` event: ms to the first token reaching the caller (null: none did). */
  ttftMs?: number | null;
  cacheHit?: boolean;
  /** Tokens the experts produced (the pipeline's counts; 0 for a cached answer). */
  tokens?: number;
}

/** Passes a request's events through, noting what the log line needs in `record`. */
export const recordEvents = (record: RequestRecord): MonoTypeOperatorFunction<PipelineEvent> => (source) => defer(() => {
  let ended = false;
  return source.pipe(tap({
    next: (event) => {
      if (event.type === 'metrics') {
        record.ttftMs = event.metrics.ttft;
        record.cacheHit = event.metrics.cacheHit;
        record.tokens = Object.values(event.metrics.experts).reduce((sum, expert) => sum + expert.tokens, 0);
      } else if (isTerminal(event)) {
        ended = true;
        record.outcome = event.type;
        if (event.type === 'error') record.errorKind = event.error.kind;
      }
    },
    unsubscribe: () => {
      if (!ended) record.outcome = 'client-left';
    },
  }));
});

/** The fields of the log line of a request that ended with `status` after `ms`. */
export const logFields = (method: string, status: number, ms: number, finished: boolean, record: RequestRecord): Record<string, unknown> => ({
  method,
  route: record.route ?? null,
  status,
  ms: Math.round(ms * 10) / 10,
  ...(record.tenant === undefined ? {} : { tenant: record.tenant }),
  ...(record.requestId === undefined ? {} : { requestId: record.requestId }),
  outcome: record.outcome ?? (!finished ? 'client-left' : status < 400 ? 'complete' : 'error'),
  ...(record.errorKind === undefined ? {} : { errorKind: record.errorKind }),
  ...(record.ttftMs === undefined ? {} : { ttftMs: record.ttftMs }),
  ...(record.cacheHit === undefined ? {} : { cacheHit: record.cacheHit }),
  ...(record.tokens === undefined ? {} : { tokens: record.tokens }),
});
