/**
 * One timer for every expert attempt's deadlines (of one fan-out operator, so of one plugin),
 * instead of one per attempt:
 * each watched attempt is a small entry in a min-heap ordered by when it must next be checked;
 * the ticker's one scheduled action fires at the earliest of them, checks what is due and
 * re-arms for the next. An attempt that ends marks its entry removed (it leaves the heap when it
 * comes up, or at once when it was the last one watched: then the timer is cancelled too, so
 * nothing keeps a process or a test alive).
 */
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** Something the ticker checks: `check(now)` returns when it next needs a check (Infinity: never). */
export interface Watched {
  /** When this entry must next be checked (set by the ticker from `check`'s answer). */
  due: number;
  removed: boolean;
  check(now: number): number;
}

/** The heap and the one timer of a set of watched attempts (one per fan-out operator: per plugin). */
export class DeadlineTicker {
  private readonly heap: Watched[] = [];
  private live = 0;
  private timer: Subscription | undefined;
  private armedAt = Infinity;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Starts watching `entry` (its `due` set). */
  add(entry: Watched): void {
    this.live++;
    this.push(entry);
    this.arm();
  }

  /** `entry` ended: it is skipped from now on. */
  remove(entry: Watched): void {
    if (entry.removed) return;
    entry.removed = true;
    if (--this.live > 0) return;
    this.heap.length = 0;
    // A timer due now is left to fire (it finds nothing and ends): cancelling a due timer from
    // inside another due timer's handler confuses RxJS's TestScheduler (run mode).
    if (this.armedAt <= this.scheduler.now()) return;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.scheduler.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const entry = this.pop();
      if (entry.removed) continue;
      const due = entry.check(now);
      if (entry.removed) continue; // the check failed the attempt, whose teardown removed it
      if (Number.isFinite(due)) {
        entry.due = due;
        this.push(entry);
      } else {
        this.remove(entry);
      }
    }
    this.arm();
  }

  /** Schedules the one action for the earliest entry, unless it already fires by then. */
  private arm(): void {
    const next = this.heap[0];
    if (next === undefined || next.due >= this.armedAt) return;
    this.timer?.unsubscribe();
    this.armedAt = next.due;
    const ticker = this;
    this.timer = this.scheduler.schedule(function tick(this: SchedulerAction<undefined>) { ticker.fire(); }, Math.max(0, next.due - this.scheduler.now()));
  }

  private push(entry: Watched): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= entry.due) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Watched {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.due < heap[left]!.due ? right : left;
        if (heap[child]!.due >= last.due) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

/** A ticker timing its checks with `scheduler`. */
export const createDeadlineTicker = (scheduler: SchedulerLike): DeadlineTicker => new DeadlineTicker(scheduler);
