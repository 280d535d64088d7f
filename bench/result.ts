/** What a case process prints (one JSON line on stdout) and bench/run.ts reads. Times in nanoseconds. */
import type { LoadResult } from './drive';
import type { Impl, Workload } from './impls';
import type { Summary } from './stats';
import type { Seen } from './workload';

/** A throughput/latency case: (a) and (b). */
export interface RequestCaseResult {
  readonly kind: 'requests';
  readonly case: string;
  readonly impl: Impl;
  readonly workload: Workload;
  readonly load: LoadResult;
  /** Requests run before the measured ones (warm-up and the checked one). */
  readonly warmupRequests: number;
  /** What the consumer saw for one request, to show both implementations stream the same text. */
  readonly check: Seen;
}

/** A cancellation case: (c). */
export interface CancelCaseResult {
  readonly kind: 'cancel';
  readonly case: string;
  readonly impl: Impl;
  readonly mode: 'between' | 'inside';
  readonly experts: number;
  readonly tokenDelayMs: number;
  readonly concurrency: number;
  /** Cancels measured (a cancel that found its request already finished is not counted). */
  readonly samples: number;
  /** From the cancel call to the LAST expert's teardown (all experts torn down). */
  readonly toLastTeardownNs: Summary;
  /** From the cancel call to the FIRST expert's teardown. */
  readonly toFirstTeardownNs: Summary;
  /** From the cancel call to the `cancelled` event reaching the consumer. */
  readonly toCancelledEventNs: Summary;
  /** Expert teardowns seen (should be samples x experts) and the experts' own count of cancelled subscriptions (pipeline). */
  readonly teardowns: number;
  readonly expertStatsCancelled?: number;
}

/** Either kind, with the case process's own CPU time (user + system), to tell how busy the rest of the machine was. */
export type CaseResult = (RequestCaseResult | CancelCaseResult) & { readonly processCpuMs?: number };
