/** Shared fixtures for the execution operators' marble tests (run-expert, fan-out, fuse, guard). */
import { asyncScheduler, type Observable } from 'rxjs';
import type { RetryPolicy, SystemErrorContext, Timeouts } from '../../src/pipeline/deps';
import { createExecutionSlots, type ExecutionSlots } from '../../src/pipeline/execution-slots';
import { createCircuitBreakers, type CircuitBreakers } from '../../src/strategies/circuit-breaker';
import { createJob, type Job } from '../../src/pipeline/job';
import { createRouteBuilder } from '../../src/pipeline/route-builder';
import type { Expert, ExpertTask, FusionStrategy } from '../../src/ports';
import { bestFusion } from '../../src/strategies/fusion-best';

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

/** The deps the execution operators pick; clock and scheduler are `asyncScheduler` (virtual inside `run()`). */
export interface ExecutionDeps {
  readonly clock: { now(): number };
  readonly scheduler: typeof asyncScheduler;
  readonly retry: RetryPolicy;
  readonly timeouts: Timeouts;
  readonly reportSystemError: jest.Mock<void, [unknown, SystemErrorContext]>;
  readonly breakers: CircuitBreakers;
  readonly slots: ExecutionSlots;
}

/** Deps with no deadlines, 2 retries of base 100 ms (cap 1000 ms) and a constant jitter of 0.5. */
export const executionDeps = (overrides: { retry?: Partial<RetryPolicy>; timeouts?: Partial<Timeouts>; slots?: ExecutionSlots } = {}): ExecutionDeps => ({
  clock: asyncScheduler,
  scheduler: asyncScheduler,
  retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5, ...overrides.retry },
  timeouts: { firstTokenMs: Infinity, idleMs: Infinity, totalMs: Infinity, cacheMs: 100, ...overrides.timeouts },
  reportSystemError: jest.fn<void, [unknown, SystemErrorContext]>(),
  breakers: createCircuitBreakers([], { failureThreshold: 5, cooldownMs: 1000 }, () => asyncScheduler.now()),
  slots: overrides.slots ?? createExecutionSlots(Infinity, 0),
});

/** A validated, planned job for `experts` (plan order) and `fusion`, started at the current (virtual) time. */
export const plannedJob = (experts: readonly Expert[], fusion: FusionStrategy = bestFusion(), prompt = 'Tell me', requestId = 'r1'): Job => {
  const job = createJob(requestId, { prompt, options: { requestId } }, asyncScheduler.now());
  const registered = new Map(experts.map((expert) => [expert.id, { expert, paramsHash: `hash-${expert.id}` }] as const));
  job.request = { requestId, prompt };
  job.route = createRouteBuilder(registered, fusion)({ intent: 'general', expertIds: experts.map((expert) => expert.id), fusion });
  return job;
};
