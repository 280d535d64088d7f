/** Shared fixtures for the execution operators' marble tests (expert-run, fan-out, single flight, fuse). */
import { asyncScheduler, type Observable } from 'rxjs';
import type { AnswersEvent, ExecuteEvent } from '../../src/chain-events';
import type { ExpertDeadlines } from '../../src/operators/expert-deadlines';
import type { RetryPolicy } from '../../src/operators/expert-run';
import type { ExecutionSlots } from '../../src/operators/execution-slots';
import type { FanOutDeps } from '../../src/operators/fan-out-experts';
import type { Route } from '../../src/plan';
import type { Expert, ExpertAnswer, ExpertTask, FusionStrategy, SystemErrorContext } from '../../src/ports';
import { createCircuitBreakers, type CircuitBreakers } from '../../src/strategies/circuit-breaker';
import type { Usage } from '../../src/conversation';
import { bestFusion } from '../../src/strategies/fusion-best';
import { createRouteBuilder, registerExperts } from '../../src/strategies/route-builder';

/** An expert whose `stream(task)` returns `attempts[task.attempt - 1]`; `tasks` records every call. */
export interface FakeExpert extends Expert { readonly tasks: ExpertTask[] }

/** A fake expert answering attempt n with `attempts[n - 1]` (a cold Observable built inside `run()`). */
export const fakeExpert = (id: string, attempts: readonly Observable<string>[]): FakeExpert => {
  const tasks: ExpertTask[] = [];
  return {
    id, model: `${id}-model`, version: '1', tasks,
    stream: (task) => {
      tasks.push(task);
      const reply = attempts[task.attempt - 1];
      if (reply === undefined) throw new Error(`fake expert ${id}: no reply for attempt ${task.attempt}`);
      return reply;
    },
  };
};

/** Fan-out deps with a remembering reporter and real breakers. */
export interface TestExecutionDeps extends FanOutDeps {
  readonly reportSystemError: jest.Mock<void, [unknown, SystemErrorContext]>;
  readonly breakers: CircuitBreakers;
}

/** Breakers for `ids` (threshold 5, cooldown 1000 ms) on the virtual clock inside `run()`. */
export const breakersFor = (ids: readonly string[] = [], failureThreshold = 5): CircuitBreakers =>
  createCircuitBreakers(ids, { failureThreshold, cooldownMs: 1000 }, () => asyncScheduler.now());

/** Deps with no deadlines, 2 retries of base 100 ms (cap 1000 ms) and a constant jitter of 0.5. */
export const executionDeps = (overrides: {
  retry?: Partial<RetryPolicy>; deadlines?: ExpertDeadlines; slots?: ExecutionSlots; breakers?: CircuitBreakers;
} = {}): TestExecutionDeps => ({
  retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5, ...overrides.retry },
  deadlines: overrides.deadlines ?? {},
  reportSystemError: jest.fn<void, [unknown, SystemErrorContext]>(),
  breakers: overrides.breakers ?? breakersFor(),
  ...(overrides.slots === undefined ? {} : { slots: overrides.slots }),
});

/** The route for `experts` (plan order) and `fusion`. */
export const routeOf = (experts: readonly Expert[], fusion: FusionStrategy = bestFusion()): Route =>
  createRouteBuilder(registerExperts(experts), fusion)({ intent: 'general', expertIds: experts.map((expert) => expert.id), fusion });

/** An `execute` hand-off for `experts` and `fusion`. */
export const executeEvent = (
  experts: readonly Expert[],
  { fusion = bestFusion(), prompt = 'Tell me', requestId = 'r1', cacheKey }: { fusion?: FusionStrategy; prompt?: string; requestId?: string; cacheKey?: string } = {},
): ExecuteEvent => {
  const base = { type: 'execute' as const, requestId, request: { requestId, prompt, messages: [{ role: 'user' as const, content: prompt }] }, route: routeOf(experts, fusion) };
  return cacheKey === undefined ? base : { ...base, cacheKey };
};

/** What the experts of {@link answersEvent} cost. */
export const EXPERTS_USAGE: Usage = { inputTokens: 6, outputTokens: 9, estimated: true };

/** An `answers` hand-off for experts A, B, C with `fusion`, the clean `answers` and the `failures`; `cacheKey` null: none. */
export const answersEvent = (
  fusion: FusionStrategy, answers: readonly ExpertAnswer[], failures: readonly unknown[] = [], cacheKey: string | null = 'key-1',
): AnswersEvent => {
  const experts = ['A', 'B', 'C'].map((id) => fakeExpert(id, []));
  const base = {
    type: 'answers' as const, requestId: 'r1', request: { requestId: 'r1', prompt: 'Tell me', messages: [{ role: 'user' as const, content: 'Tell me' }] },
    route: routeOf(experts, fusion), answers, failures, usage: EXPERTS_USAGE,
  };
  return cacheKey === null ? base : { ...base, cacheKey };
};
