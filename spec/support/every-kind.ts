/** One chain event of every kind, keyed by a marble letter, and the pass-through check every operator spec runs. */
import { tap, type OperatorFunction } from 'rxjs';
import type { ChainEvent } from '../../src/chain-events';
import { aRequest, routeFor } from './operator-fixtures';
import { newScheduler } from './virtual-time';

/** Every letter of {@link everyKind}, in marble order. */
export const ALL_LETTERS = 'spctrxumCEXqvPeAagST';

/**
 * One event of every kind for `requestId`, keyed by a marble letter:
 * public events s p c t r x u m C E X, hand-offs q v P e A a g, facts S (experts-started) T (timing).
 */
export const everyKind = (requestId = 'r1'): Record<string, ChainEvent> => {
  const request = aRequest({ requestId });
  const route = routeFor();
  return {
    s: { type: 'start', requestId, at: 0 },
    p: { type: 'plan', requestId, plan: route.plan },
    c: { type: 'cache', requestId, hit: false, key: 'k' },
    t: { type: 'token', requestId, source: 'a', text: ' hi' },
    r: { type: 'retry', requestId, source: 'a', attempt: 1, maxRetries: 2, delayMs: 10, reason: 'HTTP 503', discard: true },
    x: { type: 'expert', requestId, expertId: 'a', outcome: 'ok', ms: 3, tokens: 1 },
    u: { type: 'status', requestId, message: 'Retry 1/2 in 10ms' },
    m: { type: 'metrics', requestId, metrics: { total: 0, stages: {}, ttft: null, experts: {}, cacheHit: false, degraded: false, bottlenecks: [] } },
    C: { type: 'complete', requestId, text: 'hi', fromCache: false, degraded: false },
    E: { type: 'error', requestId, error: { kind: 'system', message: 'nope', user: false } },
    X: { type: 'cancelled', requestId, reason: 'cancelled' },
    q: { type: 'request', requestId, at: 0, input: 'Hello there', options: undefined },
    v: { type: 'validated', requestId, request },
    P: { type: 'planned', requestId, request, route },
    e: { type: 'execute', requestId, request, route, cacheKey: 'k' },
    A: { type: 'answers', requestId, request, route, cacheKey: 'k', answers: [{ expertId: 'a', text: 'hi', ms: 3, tokens: 1 }], failures: [], usage: { inputTokens: 1, outputTokens: 1, estimated: true } },
    a: { type: 'answer', requestId, text: 'hi', fromCache: false, degraded: false, cacheKey: 'k', planId: route.plan.id },
    g: { type: 'guarded', requestId, text: 'hi', fromCache: false, degraded: false, cacheKey: 'k', planId: route.plan.id },
    S: { type: 'experts-started', requestId, at: 0, progress: () => [] },
    T: { type: 'timing', requestId, stage: 'cache', at: 0, ms: 1 },
  };
};

/** The marble letters of {@link everyKind}, minus the given ones, as one frame each. */
export const lettersExcept = (...owned: string[]): string =>
  ALL_LETTERS.split('').filter((letter) => !owned.includes(letter)).join('');

/**
 * Checks (in its own virtual time) that `operator` passes every kind but the `owned` letters
 * on at the frame it got it, as the same object, and completes with its source.
 */
export const expectPassThrough = (operator: OperatorFunction<ChainEvent, ChainEvent>, ...owned: string[]): void => {
  const ev = everyKind();
  const letters = lettersExcept(...owned);
  const seen: ChainEvent[] = [];
  newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold(`${letters}|`, ev);
    expectObservable(source.pipe(operator, tap((event) => seen.push(event)))).toBe(`${letters}|`, ev);
    expectSubscriptions(source.subscriptions).toBe(`^${'-'.repeat(letters.length - 1)}!`);
  });
  expect(seen).toHaveLength(letters.length);
  seen.forEach((event, i) => expect(event).toBe(ev[letters[i]!]));
};
