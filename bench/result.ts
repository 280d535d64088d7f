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

/** Case (e): three replica processes on one Redis. Times in MILLISECONDS (they are ms-scale and measured as such). */
export interface ScaleOutCaseResult {
  readonly kind: 'scale-out';
  readonly case: string;
  readonly impl: Impl;
  readonly replicas: number;
  /** Experts per replica (replica.ts: alpha, beta, gamma), and their simulated delays. */
  readonly experts: number;
  readonly expertFirstTokenMs: number;
  readonly expertTokenMs: number;
  /** Which Redis: the machine's shared server (a random namespace) or a private `redis-server`. */
  readonly redis: string;
  /** Cancel on replica B to the experts' teardown on replica A, timestamps from inside both replicas. */
  readonly cancel: {
    readonly samples: number;
    readonly warmup: number;
    readonly toLastTeardownMs: Summary;
    readonly toFirstTeardownMs: { readonly p50: number; readonly p99: number };
    /** Experts still active on A afterwards (should be 0). */
    readonly activeExpertsAfter: number;
  };
  /** The same new prompt sent to all replicas at once; time to first token measured in the bench process. */
  readonly flight: {
    readonly prompts: number;
    readonly warmup: number;
    /** Per replica (A, B, C): prompts it led (its experts started). */
    readonly leaderCounts: readonly number[];
    /** Prompts where not exactly one replica started experts (left out of the TTFT figures). */
    readonly noSingleLeader: number;
    readonly leaderTtftMs: Summary;
    /** Both followers of every prompt. */
    readonly followerTtftMs: Summary;
    /** Follower TTFT - the same prompt's leader TTFT, both followers of every prompt. */
    readonly followerOverheadMs: Summary;
    /** Per prompt, the later follower's TTFT - the leader's. */
    readonly slowerFollowerOverheadMs: Summary;
    /**
     * Where the first token's moment was taken: 'replica' = the event line's own `at` (shared clock), 'bench' = when the
     * bench process parsed the line (replica.ts's event lines carry no `at`). The send moment is always the bench's.
     */
    readonly firstTokenStampedBy: 'replica' | 'bench' | 'mixed';
    /** The same from each replica's own `metrics` event (`ttft`: its `start` to its first token, `Date.now()`, whole ms). */
    readonly metricsTtftMs: { readonly leader: Summary; readonly follower: Summary; readonly followerOverhead: Summary };
    /** Expert starts over the cluster (should be prompts x experts), prompts with exactly `experts` starts, and the range per prompt. */
    readonly expertsStarted: number;
    readonly promptsStartedOnce: number;
    readonly startedPerPrompt: { readonly min: number; readonly max: number };
    /** Prompts where all replicas completed, and where all their final texts were identical. */
    readonly allComplete: number;
    readonly sameText: number;
  };
  /** Wall time of each phase: starting Redis and the replicas, the cancels, the flights, stopping. */
  readonly wallMs: { readonly start: number; readonly cancel: number; readonly flight: number; readonly stop: number };
  /** CPU of the helper processes (not in `processCpuMs`): the replicas (from /proc, before they stop) and the Redis server (INFO cpu delta; every client's on a shared server). NaN if unknown. */
  readonly helperCpuMs: { readonly replicasMs: number; readonly redisMs: number };
  /** Keys of the run's namespace left on the shared server after the stop (should be 0); null for a private server (stopped). */
  readonly keysLeftAfterStop: number | null;
}

/** Case (f): requests held in flight (3 stalled experts each): heap, cancel(id), cancelAll(). */
export interface InFlightCaseResult {
  readonly kind: 'in-flight';
  readonly case: string;
  readonly impl: Impl;
  readonly inFlight: number;
  readonly experts: number;
  /** heapUsed after a full GC with the requests in flight, minus before, per request. */
  readonly heapPerRequestBytes: number;
  /** From `cancel(id)` (floor: `abort()`) to that request's `cancelled` event, with the others in flight. */
  readonly cancelOneNs: Summary;
  /** `cancelAll()` (floor: every `abort()`) to the last `cancelled` event; `missing` = requests that got none. */
  readonly cancelAll: { readonly requests: number; readonly ms: number; readonly missing: number };
}

/** Case (i): the cache-hit path, sequential requests for one cached prompt. */
export interface CacheHitCaseResult {
  readonly kind: 'cache-hit';
  readonly case: string;
  readonly impl: Impl;
  readonly load: LoadResult;
  readonly requestsPerSecond: number;
}

/** Any kind, with the case process's own CPU time (user + system), to tell how busy the rest of the machine was. */
export type CaseResult = (RequestCaseResult | CancelCaseResult | GuardCaseResult | ScaleOutCaseResult | InFlightCaseResult | CacheHitCaseResult) & { readonly processCpuMs?: number };
