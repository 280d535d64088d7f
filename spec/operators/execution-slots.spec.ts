import { Observable, of, type Subscription } from 'rxjs';
import { createExecutionSlots } from '../../src/pipeline/execution-slots';

/** Work that says which one it is and then holds its slot until unsubscribed. */
const holding = (n: number) => new Observable<number>((subscriber) => subscriber.next(n));

describe('createExecutionSlots', () => {
  it('runs up to maxConcurrent at once, queues up to maxQueued, and refuses the rest at once', () => {
    const slots = createExecutionSlots(2, 1);
    const started: number[] = [];
    const errors: unknown[] = [];
    const subs: Subscription[] = [1, 2, 3, 4].map((n) => slots.run(holding(n)).subscribe({ next: (v) => started.push(v), error: (e) => errors.push(e) }));
    expect(started).toEqual([1, 2]);
    expect([slots.running(), slots.queued()]).toEqual([2, 1]);
    expect(errors).toEqual([expect.objectContaining({ _tag: 'OverloadedError' })]);
    subs[0].unsubscribe();
    expect(started).toEqual([1, 2, 3]);
    expect([slots.running(), slots.queued()]).toEqual([2, 0]);
  });

  it('gives the slot back when the work completes', () => {
    const slots = createExecutionSlots(1, 1);
    const results: number[] = [];
    slots.run(of(1)).subscribe((v) => results.push(v));
    slots.run(of(2)).subscribe((v) => results.push(v));
    expect(results).toEqual([1, 2]);
    expect([slots.running(), slots.queued()]).toEqual([0, 0]);
  });

  it('leaving the queue frees its place without taking a slot', () => {
    const slots = createExecutionSlots(1, 2);
    const first = slots.run(holding(1)).subscribe();
    const started: number[] = [];
    const waiting = slots.run(holding(2)).subscribe((v) => started.push(v));
    slots.run(holding(3)).subscribe((v) => started.push(v));
    waiting.unsubscribe();
    expect(slots.queued()).toBe(1);
    first.unsubscribe();
    expect(started).toEqual([3]);
    expect(slots.running()).toBe(1);
  });

  it('gives every slot back when everyone leaves', () => {
    const slots = createExecutionSlots(3, 3);
    const subs = Array.from({ length: 6 }, (_, n) => slots.run(holding(n)).subscribe());
    subs.forEach((sub) => sub.unsubscribe());
    expect([slots.running(), slots.queued()]).toEqual([0, 0]);
  });
});
