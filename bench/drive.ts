/** Closed-loop load: `concurrency` workers each run one request after another until the time budget is spent. */
import { summarize, type Summary } from './stats';

/** Starts request `i` and resolves after its terminal event. */
export type RunOne = (i: number) => Promise<void>;

/** What one measured run produced; times in nanoseconds. */
export interface LoadResult {
  readonly requests: number;
  readonly concurrency: number;
  readonly wallNs: number;
  /** Wall time / requests: the time per request (at concurrency 1, the mean latency). */
  readonly perRequestNs: number;
  /** Each request's own latency, from start to terminal event (includes waiting behind the others in flight). */
  readonly latencyNs: Summary;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Runs requests numbered from `first` with `concurrency` in flight until `budgetMs` has passed (at least `minRequests`). */
export const closedLoop = async (runOne: RunOne, { first, concurrency, budgetMs, minRequests = 1 }: {
  first: number; concurrency: number; budgetMs: number; minRequests?: number;
}): Promise<LoadResult> => {
  const latencies: number[] = [];
  let next = first;
  let done = 0;
  const deadline = performance.now() + budgetMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline || done + concurrency <= minRequests) {
      const i = next++;
      const startedAt = process.hrtime.bigint();
      await runOne(i);
      latencies.push(Number(process.hrtime.bigint() - startedAt));
      done++;
    }
  };
  const startedAt = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallNs = Number(process.hrtime.bigint() - startedAt);
  return { requests: done, concurrency, wallNs, perRequestNs: wallNs / done, latencyNs: summarize(latencies) };
};

/**
 * Warms up (JIT tiers, caches) with at least `count` requests and for at least `minMs`, numbered
 * from `first`; returns the next free number. Then collects garbage when `--expose-gc` is on.
 * (On this 2-core machine a count alone was not enough: V8 was still optimizing and deoptimizing
 * the pipeline after 300 requests, which showed up as 2-8 ms outliers in the first measured ones.)
 */
export const warmUp = async (runOne: RunOne, { first, count, minMs, concurrency }: { first: number; count: number; minMs: number; concurrency: number }): Promise<number> => {
  let next = first;
  const deadline = performance.now() + minMs;
  const worker = async (): Promise<void> => {
    while (next < first + count || performance.now() < deadline) await runOne(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  gc();
  return next;
};
