/**
 * `fanOutExperts(deps, scheduler)`: on the `execute` hand-off, runs every expert of the plan in
 * parallel and forwards each token the moment it arrives (time to first token = the fastest
 * expert's), with per-attempt deadlines and retries (see execution.ts and expert-run.ts). When
 * every expert has ended it emits the `answers` hand-off. Other events pass through.
 * Unsubscribing stops every expert at once.
 *
 * With `slots`, at most `maxConcurrent` executions run at once and `maxQueued` wait; beyond
 * that an `error` event of kind `overloaded`, at once.
 *
 *     source:  x--------|             x = execute (2 experts)
 *     result:  S-a-b-A-(eE)(tn|)      S = experts-started, tokens, expert events, t = timing, n = answers
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import { systemErrorEvent } from '../strategies/error-events';
import { createDeadlineTicker } from './deadline-ticker';
import type { ExecutionSlots } from './execution-slots';
import { startExecution, type ExecutionDeps } from './execution';
import { staged } from './staged';

/** What fan-out needs. */
export interface FanOutDeps extends ExecutionDeps {
  /** The concurrency limit on executions; absent: none. */
  readonly slots?: ExecutionSlots;
}

/** Runs the plan's experts in parallel on `execute`. */
export const fanOutExperts = (given: FanOutDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> => {
  // One deadline timer for every expert attempt this operator runs.
  const deps: FanOutDeps = given.ticker === undefined ? { ...given, ticker: createDeadlineTicker(scheduler) } : given;
  return staged((context) => (event) => {
    if (event.type !== 'execute') {
      context.next(event);
      return;
    }
    const { slots } = deps;
    const release = slots?.tryAcquire();
    if (slots === undefined || release !== undefined) {
      startExecution(event, context, deps, scheduler, release);
      return;
    }
    context.run(slots.acquire(), {
      next: (release) => startExecution(event, context, deps, scheduler, release),
      error: (refusal) => context.next(systemErrorEvent('overloaded', refusal,
        { requestId: event.requestId, stage: 'execution', plan: event.route.plan }, deps.reportSystemError ?? (() => undefined))),
    });
  }, { ignoresTokens: true });
};
