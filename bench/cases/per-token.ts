/**
 * Case (b): 1 expert x 10,000 zero-delay tokens, requests one after another. bench/run.ts
 * turns the two implementations' times into the pipeline's cost per token:
 * (pipeline time - baseline time) / 10,000.
 */
import type { Impl, TokenMode } from '../impls';
import { measureRequests, type Effort } from '../measure';
import type { RequestCaseResult } from '../result';

/** Tokens per request in case (b). */
export const PER_TOKEN_TOKENS = 10_000;

/**
 * Runs case (b) for one implementation; `guard: 'none'` (both sides) is the diagnostic without the redactor,
 * `cache: false` (pipeline only) the one without keeping each answer in the memory cache.
 */
export const perTokenCase = (name: string, impl: Impl, guard: 'default' | 'none', effort: Effort, tokenMode: TokenMode = 'sync', cache = true): Promise<RequestCaseResult> =>
  measureRequests(name, impl, { experts: 1, tokensPerExpert: PER_TOKEN_TOKENS, tokenMode, cache, guard }, 1, effort);
