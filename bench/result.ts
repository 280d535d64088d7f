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

/** Case (d), one token stream through the default guard's streaming redactor. */
export interface GuardStreamResult {
  readonly stream: string;
  readonly label: string;
  readonly tokens: number;
  /** Input and output characters (UTF-16 code units). */
  readonly chars: number;
  readonly outputChars: number;
  /** Secrets replaced. */
  readonly redactions: number;
  /** Per emitted character: pushes between the one that brought it (or, for a replacement, the secret's last character) and the one that emitted it; `flush()` counts as one more push. */
  readonly tokenDelay: Summary;
  /** Per emitted character: input characters that arrived after it before it was emitted. */
  readonly charDelay: Summary;
  /** After each push: input characters received and not yet accounted for by the output. */
  readonly heldChars: Summary;
  /** Per timed pass (a fresh redactor, every push and the flush): ns per token. */
  readonly pushNsPerToken: Summary;
  /** Mean ns per input character. */
  readonly nsPerChar: number;
}

/** Case (d): the default guard's hold-back and cost per token (no pipeline/baseline pair; `impl` is ignored). */
export interface GuardCaseResult {
  readonly kind: 'guard';
  readonly case: string;
  readonly impl: Impl;
  /** The redactor's effective bound on held characters, probed (the most it held before releasing). */
  readonly maxHoldBack: number;
  readonly warmupRounds: number;
  readonly streams: readonly GuardStreamResult[];
}

/** Any kind, with the case process's own CPU time (user + system), to tell how busy the rest of the machine was. */
export type CaseResult = (RequestCaseResult | CancelCaseResult | GuardCaseResult) & { readonly processCpuMs?: number };
