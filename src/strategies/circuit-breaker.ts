/**
 * Per-expert circuit breakers (plain state, no RxJS). An expert's breaker opens after
 * `failureThreshold` failed attempts in a row (retriable failures: timeouts, 429, 5xx,
 * network), stays open for `cooldownMs`, then half-opens: plans may include the expert again,
 * and the first run that starts it is its ONE probe (others are refused until it settles); a
 * clean answer closes the breaker, a failure re-opens it, an abandoned probe (cancelled run)
 * lets another run probe.
 */

/** Where an expert's breaker stands. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Breaker settings. */
export interface BreakerOptions { readonly failureThreshold: number; readonly cooldownMs: number }

interface Entry { state: BreakerState; failures: number; openedAt: number; probing: boolean }

/** The breakers of one plugin. */
export interface CircuitBreakers {
  /** True if a plan may include the expert now (closed, or half-open with no probe running). */
  isAvailable(expertId: string): boolean;
  /**
   * An expert run is about to call the expert: 'run' (closed), 'probe' (half-open: this run
   * is its one probe, settled by `succeeded`, `failed` or `abandoned`), or 'refused' (open, or
   * half-open with its probe taken by another run since the plan was made).
   */
  tryStart(expertId: string): 'run' | 'probe' | 'refused';
  /** A clean answer: closes the breaker. */
  succeeded(expertId: string): void;
  /** A failed attempt (retriable kinds only count): may open the breaker. */
  failed(expertId: string): void;
  /** The expert's probe run ended without an outcome (cancelled, or a failure that does not count): frees the probe. */
  abandoned(expertId: string): void;
  /** The current state of every breaker that has one. */
  states(): Record<string, BreakerState>;
}

/** Breakers for the given experts, timed by `now`. */
export const createCircuitBreakers = (expertIds: readonly string[], options: BreakerOptions, now: () => number): CircuitBreakers => {
  const entries = new Map<string, Entry>(expertIds.map((id) => [id, { state: 'closed', failures: 0, openedAt: 0, probing: false }]));
  const entry = (id: string): Entry | undefined => {
    const found = entries.get(id);
    if (found !== undefined && found.state === 'open' && now() - found.openedAt >= options.cooldownMs) {
      found.state = 'half-open';
      found.probing = false;
    }
    return found;
  };
  const open = (found: Entry): void => {
    found.state = 'open';
    found.openedAt = now();
    found.probing = false;
  };
  return {
    isAvailable: (id) => {
      const found = entry(id);
      return found === undefined || found.state === 'closed' || (found.state === 'half-open' && !found.probing);
    },
    tryStart: (id) => {
      const found = entry(id);
      if (found === undefined || found.state === 'closed') return 'run';
      if (found.state === 'open' || found.probing) return 'refused';
      found.probing = true;
      return 'probe';
    },
    succeeded: (id) => {
      const found = entry(id);
      if (found === undefined) return;
      found.state = 'closed';
      found.failures = 0;
      found.probing = false;
    },
    failed: (id) => {
      const found = entry(id);
      if (found === undefined) return;
      if (found.state === 'half-open') {
        open(found);
        return;
      }
      found.failures++;
      if (found.state === 'closed' && found.failures >= options.failureThreshold) open(found);
    },
    abandoned: (id) => {
      const found = entry(id);
      if (found?.state === 'half-open') found.probing = false;
    },
    states: () => Object.fromEntries([...entries.keys()].map((id) => [id, entry(id)?.state ?? 'closed'])),
  };
};
