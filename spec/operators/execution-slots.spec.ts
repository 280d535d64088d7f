import type { Subscription } from 'rxjs';
import { createExecutionSlots, type ExecutionSlots } from '../../src/operators/execution-slots';

/** Asks for a slot; records whether it was granted (and how to free it) or refused. */
const ask = (slots: ExecutionSlots) => {
  const state: { release?: () => void; error?: unknown; completed: boolean; sub?: Subscription } = { completed: false };
  state.sub = slots.acquire().subscribe({
    next: (release) => { state.release = release; },
    error: (error: unknown) => { state.error = error; },
    complete: () => { state.completed = true; },
  });
  return state;
};

describe('createExecutionSlots', () => {
  it('grants up to maxConcurrent at once, queues up to maxQueued, and refuses the rest at once', () => {
    const slots = createExecutionSlots(2, 1);
    const asked = [1, 2, 3, 4].map(() => ask(slots));
    expect(asked.map((a) => a.release !== undefined)).toEqual([true, true, false, false]);
    expect(asked.map((a) => a.completed)).toEqual([true, true, false, false]);
    expect([slots.running(), slots.queued()]).toEqual([2, 1]);
    expect(asked[3]?.error).toEqual(expect.objectContaining({ _tag: 'OverloadedError' }));
    asked[0]?.release?.();
    expect(asked[2]?.release).toBeDefined();
    expect(asked[2]?.completed).toBe(true);
    expect([slots.running(), slots.queued()]).toEqual([2, 0]);
  });

  it('grants queued requests in the order they asked', () => {
    const slots = createExecutionSlots(1, 3);
    const holder = ask(slots);
    const waiting = [ask(slots), ask(slots), ask(slots)];
    const granted: number[] = [];
    holder.release?.();
    waiting.forEach((w, i) => { if (w.release !== undefined) granted.push(i); });
    expect(granted).toEqual([0]);
    waiting[0]?.release?.();
    waiting[1]?.release?.();
    expect(waiting.map((w) => w.release !== undefined)).toEqual([true, true, true]);
    expect([slots.running(), slots.queued()]).toEqual([1, 0]);
  });

  it('frees a slot once, however many times its release is called', () => {
    const slots = createExecutionSlots(1, 1);
    const first = ask(slots);
    const second = ask(slots);
    first.release?.();
    first.release?.();
    expect([slots.running(), slots.queued()]).toEqual([1, 0]);
    second.release?.();
    expect(slots.running()).toBe(0);
  });

  it('leaving the queue frees its place without taking a slot', () => {
    const slots = createExecutionSlots(1, 2);
    const first = ask(slots);
    const leaving = ask(slots);
    const staying = ask(slots);
    leaving.sub?.unsubscribe();
    expect(slots.queued()).toBe(1);
    first.release?.();
    expect(leaving.release).toBeUndefined();
    expect(staying.release).toBeDefined();
    expect(slots.running()).toBe(1);
  });

  it('keeps a granted slot when the holder unsubscribes after the grant (only release frees it)', () => {
    const slots = createExecutionSlots(1, 0);
    const holder = ask(slots);
    holder.sub?.unsubscribe();
    expect(slots.running()).toBe(1);
    holder.release?.();
    expect(slots.running()).toBe(0);
  });

  it('refuses at once with no queue at all, and takes everyone with no limit', () => {
    const none = createExecutionSlots(0, 0);
    expect(ask(none).error).toEqual(expect.objectContaining({ _tag: 'OverloadedError' }));
    const unlimited = createExecutionSlots(Infinity, 0);
    const all = Array.from({ length: 50 }, () => ask(unlimited));
    expect(all.every((a) => a.release !== undefined)).toBe(true);
    all.forEach((a) => a.release?.());
    expect([unlimited.running(), unlimited.queued()]).toEqual([0, 0]);
  });

  it('gives every slot and place back when everyone leaves', () => {
    const slots = createExecutionSlots(3, 3);
    const asked = Array.from({ length: 6 }, () => ask(slots));
    asked.forEach((a) => {
      a.sub?.unsubscribe();
      a.release?.();
    });
    expect([slots.running(), slots.queued()]).toEqual([0, 0]);
  });
});
