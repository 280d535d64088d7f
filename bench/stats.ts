/** Summary statistics for timing samples (any unit; the caller says which). */

/** What a case reports about one set of samples. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** The q-quantile (0..1) of sorted samples, nearest-rank: the smallest sample with at least q of the samples at or below it. */
export const quantile = (sorted: ArrayLike<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
};

/** Mean, median, p99, min and max of the samples (which are not modified). */
export const summarize = (samples: ArrayLike<number>): Summary => {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    n: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    min: sorted.length === 0 ? Number.NaN : sorted[0]!,
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
};

/** Nanoseconds between two `process.hrtime.bigint()` readings, as a number. */
export const nsBetween = (start: bigint, end: bigint): number => Number(end - start);
