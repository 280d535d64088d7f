import { asyncScheduler, VirtualAction } from 'rxjs';
import { TimeoutError, type TimeoutPhase } from '../../src/errors';
import { expertTimeouts } from '../../src/operators/expert-timeouts';
import { newScheduler, pendingTimers } from '../support/virtual-time';

const timeout = (phase: TimeoutPhase, ms: number): TimeoutError => new TimeoutError(phase, ms, 'x');

describe('expertTimeouts', () => {
  it('fails with a first-token TimeoutError at the deadline frame and unsubscribes the source there', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -----a|');
      const expected = '   ---#';
      const subs = '       ^--!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 3, idleMs: 10, totalMs: 20 }, asyncScheduler, 'x')))
        .toBe(expected, undefined, timeout('first-token', 3));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('passes tokens that keep every deadline, unchanged, and completes with the source', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a-b-c|', { a: 'Hel', b: 'lo', c: '!' });
      const expected = '   -a-b-c|';
      const subs = '       ^-----!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 2, idleMs: 3, totalMs: 100 }, asyncScheduler, 'x')))
        .toBe(expected, { a: 'Hel', b: 'lo', c: '!' });
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('fails with an idle TimeoutError idleMs after the last token', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a--b-------c|');
      const expected = '   -a--b---#';
      const subs = '       ^-------!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 2, idleMs: 4, totalMs: 100 }, asyncScheduler, 'x')))
        .toBe(expected, undefined, timeout('idle', 4));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('re-arms the idle deadline after every token, so a long stream with short gaps never times out', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a--b--c--d--e|');
      const expected = '   -a--b--c--d--e|';
      const subs = '       ^-------------!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 2, idleMs: 4, totalMs: 100 }, asyncScheduler, 'x'))).toBe(expected);
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('measures the idle gap from the latest token, not from the first', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const tokens = cold(' -a--b--c-----d|');
      const expected = '   -a--b--c---#';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 5, idleMs: 4 }, asyncScheduler, 'x')))
        .toBe(expected, undefined, timeout('idle', 4));
    });
  });

  it('fails with a total TimeoutError when the total deadline comes before the idle one', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a-b-c-d-e|');
      const expected = '   -a-b-c#';
      const subs = '       ^-----!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 2, idleMs: 3, totalMs: 6 }, asyncScheduler, 'x')))
        .toBe(expected, undefined, timeout('total', 6));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('fails with a total TimeoutError when the total deadline comes before the first-token one', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' ------a|');
      const expected = '   ---#';
      const subs = '       ^--!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 5, totalMs: 3 }, asyncScheduler, 'x')))
        .toBe(expected, undefined, timeout('total', 3));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('fires the idle deadline when it is the only one (no first-token or total deadline)', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -----a--b------c|');
      const expected = '   -----a--b---#';
      const subs = '       ^-----------!';
      expectObservable(tokens.pipe(expertTimeouts({ idleMs: 4 }, asyncScheduler, 'x'))).toBe(expected, undefined, timeout('idle', 4));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('measures deadlines from its own subscription, not from frame 0', () => {
    const scheduler = newScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const tokens = hot(' ---------a--|');
      const subscription = '--^';
      const expected = '    -----#';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 3 }, asyncScheduler, 'x')), subscription)
        .toBe(expected, undefined, timeout('first-token', 3));
    });
  });

  it('passes a source error through unchanged', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('boom');
      const tokens = cold(' -a-#', undefined, boom);
      const expected = '   -a-#';
      const subs = '       ^--!';
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 2, idleMs: 5, totalMs: 10 }, asyncScheduler, 'x')))
        .toBe(expected, undefined, boom);
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('names no expert in the error when no id is given', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('----a|').pipe(expertTimeouts({ firstTokenMs: 2 }, asyncScheduler)))
        .toBe('--#', undefined, new TimeoutError('first-token', 2));
    });
  });

  it('leaves no timer scheduled once the source has completed', () => {
    const scheduler = newScheduler();
    let pendingAfterEnd = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b|').pipe(expertTimeouts({ firstTokenMs: 50, idleMs: 60, totalMs: 100 }, asyncScheduler, 'x')))
        .toBe('-a-b|');
      scheduler.schedule(() => { pendingAfterEnd = pendingTimers(scheduler); }, 10);
    });
    expect(pendingAfterEnd).toBe(0);
  });

  it('leaves no timer scheduled once the source has failed', () => {
    const scheduler = newScheduler();
    let pendingAfterEnd = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#').pipe(expertTimeouts({ firstTokenMs: 50, idleMs: 60, totalMs: 100 }, asyncScheduler, 'x'))).toBe('-a-#');
      scheduler.schedule(() => { pendingAfterEnd = pendingTimers(scheduler); }, 10);
    });
    expect(pendingAfterEnd).toBe(0);
  });

  it('leaves no timer scheduled once the subscriber has unsubscribed', () => {
    const scheduler = newScheduler();
    let pendingAfterEnd = -1;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold('-a-b-c-d|');
      expectObservable(tokens.pipe(expertTimeouts({ firstTokenMs: 50, idleMs: 60, totalMs: 100 }, asyncScheduler, 'x')), '^--!').toBe('-a-');
      expectSubscriptions(tokens.subscriptions).toBe('^--!');
      scheduler.schedule(() => { pendingAfterEnd = pendingTimers(scheduler); }, 10);
    });
    expect(pendingAfterEnd).toBe(0);
  });

  it('keeps its timer while the source is running (the leak check above can see one)', () => {
    const scheduler = newScheduler();
    let pendingWhileRunning = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a 20ms b|').pipe(expertTimeouts({ totalMs: 100 }, asyncScheduler, 'x'))).toBe('-a 20ms b|');
      scheduler.schedule(() => { pendingWhileRunning = pendingTimers(scheduler); }, 10);
    });
    // The deadline timer, plus the cold source's two pending notifications.
    expect(pendingWhileRunning).toBe(3);
  });

  it('never asks the scheduler for an infinite delay when a deadline is off (a real setInterval would fire every 1 ms)', () => {
    const delays: number[] = [];
    const original = VirtualAction.prototype.schedule;
    const spy = jest.spyOn(VirtualAction.prototype, 'schedule').mockImplementation(function (this: VirtualAction<unknown>, state, delay) {
      delays.push(delay ?? 0);
      return original.call(this, state, delay);
    });
    try {
      const scheduler = newScheduler();
      scheduler.run(({ cold, expectObservable }) => {
        // The TestScheduler itself, so the operator's re-arming goes straight to VirtualAction.schedule.
        expectObservable(cold('-a-----b|').pipe(expertTimeouts({ firstTokenMs: 3 }, scheduler, 'x'))).toBe('-a-----b|');
      });
    } finally {
      spy.mockRestore();
    }
    expect(delays.filter((delay) => !Number.isFinite(delay))).toEqual([]);
  });
});
