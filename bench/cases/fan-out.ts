/**
 * Case (a): 3 experts x 100 zero-delay tokens, every token handed to the consumer as it
 * arrives, fused ('best') and guarded (default guard); N requests one after another
 * (concurrency 1) or with 64 in flight. Distinct prompts, default in-memory cache (or
 * `cache: false`). `tokenMode` 'microtask' makes tokens of concurrent requests interleave.
 * `guard: 'none'` (both sides `noGuard`) is a diagnostic: the pipeline's own cost without the redactor's.
 */
import type { Impl, TokenMode } from '../impls';
import { measureRequests, type Effort } from '../measure';
import type { RequestCaseResult } from '../result';

/** Options of one fan-out run. */
export interface FanOutOptions { readonly concurrency: number; readonly tokenMode: TokenMode; readonly cache: boolean; readonly guard: 'default' | 'none'; readonly fusion?: 'best' | 'first' }

/** Runs case (a) for one implementation. */
export const fanOutCase = (name: string, impl: Impl, { concurrency, tokenMode, cache, guard, fusion }: FanOutOptions, effort: Effort): Promise<RequestCaseResult> =>
  measureRequests(name, impl, { experts: 3, tokensPerExpert: 100, tokenMode, cache, guard, ...(fusion === undefined ? {} : { fusion }) }, concurrency, effort);
