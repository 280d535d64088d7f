/** Test helpers: a fresh TestScheduler per test and an event recorder. */
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { PipelineEvent } from '../../src/events';

/** A TestScheduler that compares with jest's toEqual. */
export const newScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Subscribes and records every event, and whether the Observable completed or errored. */
export const record = <T = PipelineEvent>(events$: Observable<T>): { events: T[]; completed: () => boolean; errored: () => unknown; sub: Subscription } => {
  const events: T[] = [];
  let completed = false;
  let error: unknown;
  const sub = events$.subscribe({ next: (event) => events.push(event), complete: () => { completed = true; }, error: (e) => { error = e ?? 'error'; } });
  return { events, completed: () => completed, errored: () => error, sub };
};

/** The `type` of each event. */
export const typesOf = (events: readonly { type: string }[]): string[] => events.map((event) => event.type);

/** Scheduled actions that have not run or been cancelled: a leaked timer shows here. */
export const pendingTimers = (scheduler: TestScheduler): number =>
  (scheduler as unknown as { actions: { closed: boolean }[] }).actions.filter((action) => !action.closed).length;

/**
 * A scheduler that notes the delay of every action scheduled on it (into `delays`), then runs it
 * on `asyncScheduler` (virtual inside `TestScheduler.run`): shows whether a timer was armed at
 * all, even one cancelled at once.
 */
export const countingScheduler = (delays: number[]): SchedulerLike => ({
  now: () => asyncScheduler.now(),
  schedule: (...args: Parameters<SchedulerLike['schedule']>) => {
    delays.push(args[1] ?? 0);
    return asyncScheduler.schedule(...args);
  },
} as SchedulerLike);
