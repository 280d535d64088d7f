import { Observable, VirtualAction, asyncScheduler, type SchedulerLike } from 'rxjs';
import { TimeoutError, type TimeoutPhase } from '../../src/errors';
import { IDLE_CHECKS_PER_PERIOD, watchDeadlines, type ExpertDeadlines } from '../../src/operators/expert-deadlines';
import { newScheduler, pendingTimers } from '../support/virtual-time';

const timeout = (phase: TimeoutPhase, ms: number): TimeoutError => new TimeoutError(phase, ms, 'x');

/**
 * `tokens$` watched the way an expert run watches an attempt: the deadlines are armed on the
 * subscriber first, then the expert is subscribed, and the tokens are counted as they pass.
 */
const watched = (tokens$: Observable<string>, deadlines: ExpertDeadlines, scheduler: SchedulerLike = asyncScheduler, expertId: string | null = 'x') =>
  new Observable<string>((subscriber) => {
    const progress = { tokens: 0 };
    watchDeadlines(subscriber, progress, deadlines, scheduler, expertId ?? undefined);
    return tokens$.subscribe({
      next: (token) => {
        progress.tokens++;
        subscriber.next(token);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });

/** The delays VirtualAction.schedule is asked for while `run` runs. */
const scheduledDelays = (run: () => void): number[] => {
  const delays: number[] = [];
  const original = VirtualAction.prototype.schedule;
  const spy = jest.spyOn(VirtualAction.prototype, 'schedule').mockImplementation(function (this: VirtualAction<unknown>, state, delay) {
    delays.push(delay ?? 0);
    return original.call(this, state, delay);
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return delays;
};

describe('watchDeadlines', () => {
  it('fails with a first-token TimeoutError at exactly firstTokenMs and unsubscribes the source there', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -----a|');
      const expected = '   ---#';
      const subs = '       ^--!';
      expectObservable(watched(tokens, { firstTokenMs: 3, idleMs: 10, totalMs: 20 })).toBe(expected, undefined, timeout('first-token', 3));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('passes tokens that keep every deadline, unchanged, and completes with the source', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a-b-c|', { a: 'Hel', b: 'lo', c: '!' });
      const expected = '   -a-b-c|';
      const subs = '       ^-----!';
      expectObservable(watched(tokens, { firstTokenMs: 2, idleMs: 3, totalMs: 100 })).toBe(expected, { a: 'Hel', b: 'lo', c: '!' });
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('fails with an idle TimeoutError idleMs after the last token when idleMs / 4 rounds up to 1 ms (checked every frame)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a--b-------c|');
      const expected = '   -a--b---#';
      const subs = '       ^-------!';
      expectObservable(watched(tokens, { firstTokenMs: 2, idleMs: 4, totalMs: 100 })).toBe(expected, undefined, timeout('idle', 4));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('re-arms the idle deadline after every token, so a long stream with short gaps never times out', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a--b--c--d--e|');
      const expected = '   -a--b--c--d--e|';
      const subs = '       ^-------------!';
      expectObservable(watched(tokens, { firstTokenMs: 2, idleMs: 4, totalMs: 100 })).toBe(expected);
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('measures the idle gap from the latest token, not from the first', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const tokens = cold(' -a--b--c-----d|');
      const expected = '   -a--b--c---#';
      expectObservable(watched(tokens, { firstTokenMs: 5, idleMs: 4 })).toBe(expected, undefined, timeout('idle', 4));
    });
  });

  it(`checks the idle deadline every ceil(idleMs / ${IDLE_CHECKS_PER_PERIOD}) ms: idleMs 9, every 3 ms, so a token at 1 is seen at 3 and the error comes at 12`, () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(watched(cold('-a'), { idleMs: 9 })).toBe('-a 10ms #', undefined, timeout('idle', 9));
    });
  });

  it('fails the module doc\'s example (tokens at 2 and 4, firstTokenMs 3, idleMs 4) at frame 8: the check at 4 sees the token of its frame', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const tokens = cold(' --a-b---------');
      const expected = '   --a-b---#';
      expectObservable(watched(tokens, { firstTokenMs: 3, idleMs: 4 })).toBe(expected, undefined, timeout('idle', 4));
    });
  });

  // idleMs 8: checked every 2 ms, at frames 2, 4, 6, ... A check that sees a new token counts
  // the silence from ITSELF, so the error comes at the first check >= (that check + 8): between
  // idleMs and idleMs + 2 (= 1.25 x idleMs) after the last token.
  it.each([
    // [case,                                                                                       tokens,   expected,       subscription]
    ['exactly idleMs after a token seen by the check of its own frame (token at 4, seen at 4, error at 12)', '----a', '----a 7ms #', '^ 11ms !'],
    ['1.125 x idleMs after a token between two checks (token at 3, seen at 4, error at 12)', '---a', '---a 8ms #', '^ 11ms !'],
    ['1.25 x idleMs after a token that came just after the check of its frame (token at 2, seen at 4, error at 12)', '--a', '--a 9ms #', '^ 11ms !'],
    ['1.125 x idleMs after a later token between two checks (token at 5, seen at 6, error at 14)', '-----a', '-----a 8ms #', '^ 13ms !'],
  ])('fails a stream that goes silent %s', (_case, tokenMarbles, expected, subscription) => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(tokenMarbles);
      expectObservable(watched(tokens, { idleMs: 8 })).toBe(expected, undefined, timeout('idle', 8));
      expectSubscriptions(tokens.subscriptions).toBe(subscription);
    });
  });

  it('does not start the idle deadline before the first token (that wait is the first-token deadline\'s)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const tokens = cold(' 30ms a|');
      expectObservable(watched(tokens, { idleMs: 4 })).toBe('30ms a|');
    });
  });

  it('fails with a total TimeoutError when the total deadline comes before the idle one', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a-b-c-d-e|');
      const expected = '   -a-b-c#';
      const subs = '       ^-----!';
      expectObservable(watched(tokens, { firstTokenMs: 2, idleMs: 3, totalMs: 6 })).toBe(expected, undefined, timeout('total', 6));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('fails with a total TimeoutError when the total deadline comes before the first-token one', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' ------a|');
      const expected = '   ---#';
      const subs = '       ^--!';
      expectObservable(watched(tokens, { firstTokenMs: 5, totalMs: 3 })).toBe(expected, undefined, timeout('total', 3));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('fires the total deadline at exactly totalMs with tokens flowing and no other deadline', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(watched(cold('-a-a-a-a-a-a|'), { totalMs: 7 })).toBe('-a-a-a-#', undefined, timeout('total', 7));
    });
  });

  it('fires the idle deadline when it is the only one (no first-token or total deadline)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -----a--b------c|');
      const expected = '   -----a--b---#';
      const subs = '       ^-----------!';
      expectObservable(watched(tokens, { idleMs: 4 })).toBe(expected, undefined, timeout('idle', 4));
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('measures deadlines from its own subscription, not from frame 0', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const tokens = hot(' ---------a--|');
      const subscription = '--^';
      const expected = '    -----#';
      expectObservable(watched(tokens, { firstTokenMs: 3 }), subscription).toBe(expected, undefined, timeout('first-token', 3));
    });
  });

  it('passes a source error through unchanged', () => {
    const boom = new Error('boom');
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tokens = cold(' -a-#', undefined, boom);
      const expected = '   -a-#';
      const subs = '       ^--!';
      expectObservable(watched(tokens, { firstTokenMs: 2, idleMs: 5, totalMs: 10 })).toBe(expected, undefined, boom);
      expectSubscriptions(tokens.subscriptions).toBe(subs);
    });
  });

  it('names no expert in the error when no id is given', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(watched(cold('----a|'), { firstTokenMs: 2 }, asyncScheduler, null)).toBe('--#', undefined, new TimeoutError('first-token', 2));
    });
  });

  it('schedules nothing at all when every deadline is off', () => {
    const scheduler = newScheduler();
    let pending = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(watched(cold('-a 20ms b|'), {})).toBe('-a 20ms b|');
      scheduler.schedule(() => { pending = pendingTimers(scheduler); }, 10);
    });
    // Only the cold source's two pending notifications.
    expect(pending).toBe(2);
  });

  it('keeps one timer while the source is running (the leak checks below can see it)', () => {
    const scheduler = newScheduler();
    let pendingWhileRunning = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(watched(cold('-a 20ms b|'), { totalMs: 100, idleMs: 40 })).toBe('-a 20ms b|');
      scheduler.schedule(() => { pendingWhileRunning = pendingTimers(scheduler); }, 10);
    });
    // The deadline check, plus the cold source's two pending notifications.
    expect(pendingWhileRunning).toBe(3);
  });

  it.each([
    ['completed', '-a-b|', '-a-b|', undefined],
    ['failed', '-a-#', '-a-#', undefined],
    ['been unsubscribed', '-a-b-c-d|', '-a-', '^--!'],
  ])('leaves no timer scheduled once the source has %s', (_how, source, expected, unsub) => {
    const scheduler = newScheduler();
    let pendingAfterEnd = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(watched(cold(source), { firstTokenMs: 50, idleMs: 60, totalMs: 100 }), unsub).toBe(expected);
      scheduler.schedule(() => { pendingAfterEnd = pendingTimers(scheduler); }, 10);
    });
    expect(pendingAfterEnd).toBe(0);
  });

  it('leaves no timer scheduled once it has failed the attempt', () => {
    const scheduler = newScheduler();
    let pendingAfterEnd = -1;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(watched(cold('-a-------b|'), { idleMs: 2, totalMs: 100 })).toBe('-a--#', undefined, timeout('idle', 2));
      scheduler.schedule(() => { pendingAfterEnd = pendingTimers(scheduler); }, 5);
    });
    expect(pendingAfterEnd).toBe(0);
  });

  it('never asks the scheduler for an infinite delay when a deadline is off (a real setInterval would fire every 1 ms)', () => {
    const delays = scheduledDelays(() => {
      const scheduler = newScheduler();
      scheduler.run(({ cold, expectObservable }) => {
        // The TestScheduler itself, so the re-arming goes straight to VirtualAction.schedule.
        expectObservable(watched(cold('-a-----b|'), { firstTokenMs: 3 }, scheduler)).toBe('-a-----b|');
      });
    });
    expect(delays.length).toBeGreaterThan(0);
    expect(delays.filter((delay) => !Number.isFinite(delay))).toEqual([]);
  });
});
