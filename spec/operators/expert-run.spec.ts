import { Observable, Subscriber, asyncScheduler, tap } from 'rxjs';
import { ExpertError, TimeoutError } from '../../src/errors';
import { expertRun, type ExpertRunDeps, type RetryNotice, type RunProgress } from '../../src/operators/expert-run';
import type { Expert } from '../../src/ports';
import { seededRandom } from '../../src/strategies/backoff';
import { fakeExpert } from '../support/execution-fixtures';
import { newScheduler, pendingTimers } from '../support/virtual-time';

const unavailable = new ExpertError('A', 'Service unavailable', { status: 503 });
const badRequest = new ExpertError('A', 'Bad request', { status: 400 });
const connectionReset = new ExpertError('A', 'Connection reset', { failure: 'network' });
const rateLimited = (retryAfterMs: number): ExpertError => new ExpertError('A', 'Rate limited', { status: 429, retryAfterMs });

const task = { requestId: 'r1', prompt: 'Tell me', messages: [{ role: 'user' as const, content: 'Tell me' }] };

/** A notice as `onRetry` got it, with the (virtual) time of the call. */
interface Noticed extends RetryNotice { readonly at: number }

/** 2 retries of base 100 ms (cap 1000 ms), constant jitter 0.5; `notices` records every `onRetry` call. */
const runDeps = (overrides: Partial<ExpertRunDeps> & { random?: () => number; maxRetries?: number; maxDelayMs?: number } = {}) => {
  const notices: Noticed[] = [];
  const { random = () => 0.5, maxRetries = 2, maxDelayMs = 1000, ...rest } = overrides;
  const deps: ExpertRunDeps = {
    retry: { maxRetries, baseDelayMs: 100, maxDelayMs, random },
    onRetry: (notice) => notices.push({ ...notice, at: asyncScheduler.now() }),
    ...rest,
  };
  return { deps, notices };
};

/** The run as fan-out uses it: the caller counts the current attempt's tokens (the deadlines read the count). */
const counted = (expert: Expert, progress: RunProgress, deps: ExpertRunDeps): Observable<string> =>
  expertRun(expert, task, progress, deps).pipe(tap(() => { progress.tokens++; }));

const fresh = (): RunProgress => ({ tokens: 0, attempts: 0 });

describe('expertRun', () => {
  it('streams the expert\'s tokens as they come and completes with it; the expert gets the task with attempt 1', () => {
    const { deps, notices } = runDeps();
    const progress = fresh();
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold(' -a--b-|', { a: 'Hello', b: ' world' });
      const expected = '   -a--b-|';
      expert = fakeExpert('A', [reply]);
      expectObservable(counted(expert, progress, deps)).toBe(expected, { a: 'Hello', b: ' world' });
      expectSubscriptions(reply.subscriptions).toBe('^-----!');
    });
    expect(expert.tasks).toEqual([{ requestId: 'r1', prompt: 'Tell me', messages: [{ role: 'user', content: 'Tell me' }], attempt: 1 }]);
    expect(progress).toEqual({ attempts: 1, tokens: 2 });
    expect(notices).toEqual([]);
  });

  it('retries a 503: onRetry at the failure with (error, 1, delayMs), attempt 2 subscribed exactly delayMs later', () => {
    const { deps, notices } = runDeps();
    const progress = fresh();
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -a-#', { a: 'Hel' }, unavailable);
      const second = cold('   --b-c|', { b: 'Hello', c: ' there' });
      const expected = '      -a 53ms b-c|';
      const firstSubs = '     ^--!';
      const secondSubs = '    53ms ^----!';
      expert = fakeExpert('A', [first, second]);
      expectObservable(counted(expert, progress, deps)).toBe(expected, { a: 'Hel', b: 'Hello', c: ' there' });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
    expect(notices).toEqual([{ error: unavailable, attempt: 1, delayMs: 50, at: 3 }]);
    expect(expert.tasks.map((t) => t.attempt)).toEqual([1, 2]);
    expect(progress).toEqual({ attempts: 2, tokens: 2 });
  });

  it('draws each delay from the jitter (full jitter, base doubling): onRetry before each wait, re-subscription after it', () => {
    // seededRandom(1) yields 0.627..., then 0.0027...: floor(0.627 * 100) = 62, floor(0.0027 * 200) = 0.
    const { deps, notices } = runDeps({ random: seededRandom(1) });
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    --#', undefined, unavailable);
      const second = cold('   -#', undefined, connectionReset);
      const third = cold('    ----a|', { a: 'Done' });
      const expected = '      69ms a|';
      const firstSubs = '     ^-!';
      const secondSubs = '    64ms ^!';
      const thirdSubs = '     65ms ^----!';
      expectObservable(counted(fakeExpert('A', [first, second, third]), fresh(), deps)).toBe(expected, { a: 'Done' });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
      expectSubscriptions(third.subscriptions).toBe(thirdSubs);
    });
    expect(notices).toEqual([
      { error: unavailable, attempt: 1, delayMs: 62, at: 2 },
      { error: connectionReset, attempt: 2, delayMs: 0, at: 65 },
    ]);
  });

  it('honours Retry-After of a 429 instead of the jittered delay', () => {
    const { deps, notices } = runDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -#', undefined, rateLimited(300));
      const second = cold('   -a|', { a: 'ok' });
      const expected = '      302ms a|';
      const secondSubs = '    301ms ^-!';
      expectObservable(counted(fakeExpert('A', [first, second]), fresh(), deps)).toBe(expected, { a: 'ok' });
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
    expect(notices).toEqual([expect.objectContaining({ attempt: 1, delayMs: 300, at: 1 })]);
  });

  it('caps a Retry-After longer than maxDelayMs at maxDelayMs', () => {
    const { deps, notices } = runDeps({ maxDelayMs: 1000 });
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -#', undefined, rateLimited(5000));
      const second = cold('   -a|', { a: 'ok' });
      const expected = '      1002ms a|';
      const secondSubs = '    1001ms ^-!';
      expectObservable(counted(fakeExpert('A', [first, second]), fresh(), deps)).toBe(expected, { a: 'ok' });
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
    expect(notices.map((n) => n.delayMs)).toEqual([1000]);
  });

  it('does not retry a 400: errors with it at once, with no onRetry call', () => {
    const { deps, notices } = runDeps();
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -a-#', { a: 'Hel' }, badRequest);
      const expected = '      -a-#';
      expert = fakeExpert('A', [first, cold('-b|')]);
      expectObservable(counted(expert, fresh(), deps)).toBe(expected, { a: 'Hel' }, badRequest);
      expectSubscriptions(first.subscriptions).toBe('^--!');
    });
    expect(expert.tasks).toHaveLength(1);
    expect(notices).toEqual([]);
  });

  it('does not retry an error that is not an expert error or a timeout (a bug in the expert)', () => {
    const { deps, notices } = runDeps();
    const bug = new TypeError('undefined is not a function');
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(counted(fakeExpert('A', [cold('--#', undefined, bug)]), fresh(), deps)).toBe('--#', undefined, bug);
    });
    expect(notices).toEqual([]);
  });

  it('errors with the last attempt\'s error after maxRetries retries, the backoff doubling between them', () => {
    const { deps, notices } = runDeps();
    const progress = fresh();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const attempt = cold('  -#', undefined, unavailable);
      const expected = '      153ms #';
      const subs = ['         ^!', '51ms ^!', '152ms ^!'];
      expectObservable(counted(fakeExpert('A', [attempt, attempt, attempt]), progress, deps)).toBe(expected, undefined, unavailable);
      expectSubscriptions(attempt.subscriptions).toBe(subs);
    });
    expect(notices).toEqual([
      { error: unavailable, attempt: 1, delayMs: 50, at: 1 },
      { error: unavailable, attempt: 2, delayMs: 100, at: 52 },
    ]);
    expect(progress.attempts).toBe(3);
  });

  it('never retries with maxRetries 0', () => {
    const { deps, notices } = runDeps({ maxRetries: 0 });
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const attempt = cold('-#', undefined, unavailable);
      expectObservable(counted(fakeExpert('A', [attempt, attempt]), fresh(), deps)).toBe('-#', undefined, unavailable);
      expectSubscriptions(attempt.subscriptions).toBe('^!');
    });
    expect(notices).toEqual([]);
  });

  it('retries a first-token timeout (deadlines armed per attempt)', () => {
    const { deps, notices } = runDeps({ deadlines: { firstTokenMs: 5 } });
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    --------a|', { a: 'late' });
      const second = cold('   --a|', { a: 'quick' });
      const expected = '      57ms a|';
      const firstSubs = '     ^----!';
      const secondSubs = '    55ms ^--!';
      expectObservable(counted(fakeExpert('A', [first, second]), fresh(), deps)).toBe(expected, { a: 'quick' });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
    expect(notices).toEqual([{ error: new TimeoutError('first-token', 5, 'A'), attempt: 1, delayMs: 50, at: 5 }]);
  });

  it('watches the caller\'s token count: an attempt that goes idle is retried, and the count restarts at 0 per attempt', () => {
    // idleMs 3 is checked every frame; the first check of an attempt runs before a token of its frame.
    const { deps, notices } = runDeps({ maxRetries: 1, deadlines: { idleMs: 3 } });
    const progress = fresh();
    const countsAtStart: number[] = [];
    let replies: Observable<string>[] = [];
    const expert: Expert = {
      id: 'A', model: 'm', version: '1',
      stream: () => new Observable<string>((subscriber) => {
        countsAtStart.push(progress.tokens);
        return replies.shift()?.subscribe(subscriber);
      }),
    };
    newScheduler().run(({ cold, expectObservable }) => {
      replies = [cold('-a------b|', { a: 'x', b: 'y' }), cold('-a------b|', { a: 'x', b: 'y' })];
      expectObservable(counted(expert, progress, deps)).toBe('-a 54ms a---#', { a: 'x' }, new TimeoutError('idle', 3, 'A'));
    });
    expect(notices).toEqual([{ error: new TimeoutError('idle', 3, 'A'), attempt: 1, delayMs: 50, at: 5 }]);
    expect(countsAtStart).toEqual([0, 0]);
    expect(progress).toEqual({ attempts: 2, tokens: 1 });
  });

  it('stops the running attempt at the frame its subscriber leaves', () => {
    const { deps } = runDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('    -a-b-c-d|');
      const unsub = '         ^----!';
      const expected = '      -a-b-';
      expectObservable(counted(fakeExpert('A', [reply]), fresh(), deps), unsub).toBe(expected);
      expectSubscriptions(reply.subscriptions).toBe('^----!');
    });
  });

  it('cancels the retry wait when the subscriber leaves during it: no further attempt, no timer left', () => {
    const { deps, notices } = runDeps();
    const scheduler = newScheduler();
    let pending = -1;
    let expert!: ReturnType<typeof fakeExpert>;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -a-#', { a: 'Hel' }, unavailable);
      const second = cold('   -b|');
      const unsub = '         ^ 19ms !';
      expert = fakeExpert('A', [first, second]);
      expectObservable(counted(expert, fresh(), deps), unsub).toBe('-a-', { a: 'Hel' });
      expectSubscriptions(first.subscriptions).toBe('^--!');
      expectSubscriptions(second.subscriptions).toBe([]);
      scheduler.schedule(() => { pending = pendingTimers(scheduler); }, 30);
    });
    expect(pending).toBe(0);
    expect(expert.tasks).toHaveLength(1);
    expect(notices).toHaveLength(1);
  });

  it('classifies an error thrown synchronously by expert.stream like one it emits (retries a 503)', () => {
    const { deps, notices } = runDeps();
    newScheduler().run(({ cold, expectObservable }) => {
      const second = cold('-a|', { a: 'ok' });
      const expert: Expert = {
        id: 'A', model: 'm', version: '1',
        stream: (t): Observable<string> => {
          if (t.attempt === 1) throw unavailable;
          return second;
        },
      };
      expectObservable(counted(expert, fresh(), deps)).toBe('51ms a|', { a: 'ok' });
    });
    expect(notices).toEqual([{ error: unavailable, attempt: 1, delayMs: 50, at: 0 }]);
  });

  it('does not retry a non-retriable error thrown synchronously on a later attempt', () => {
    const { deps } = runDeps();
    const bug = new Error('expert bug');
    const attempts: number[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const first = cold('-#', undefined, unavailable);
      const expert: Expert = {
        id: 'A', model: 'm', version: '1',
        stream: (t): Observable<string> => {
          attempts.push(t.attempt);
          if (t.attempt === 1) return first;
          throw bug;
        },
      };
      expectObservable(counted(expert, fresh(), deps)).toBe('51ms #', undefined, bug);
    });
    expect(attempts).toEqual([1, 2]);
  });

  it('subscribes the expert with retry\'s own subscriber: no extra subscriber of its own, so a token reaches the run\'s subscriber synchronously', () => {
    const { deps } = runDeps();
    const received: string[] = [];
    const seenBy: unknown[] = [];
    const receivedWhenEmitted: string[][] = [];
    const subscriber = new Subscriber<string>({ next: (token) => received.push(token), error: () => undefined, complete: () => undefined });
    const expert: Expert = {
      id: 'A', model: 'm', version: '1',
      stream: (t) => new Observable<string>((expertSubscriber) => {
        seenBy.push((expertSubscriber as unknown as { destination: unknown }).destination);
        expertSubscriber.next(`token of attempt ${t.attempt}`);
        receivedWhenEmitted.push([...received]);
        if (t.attempt === 1) expertSubscriber.error(unavailable);
        else expertSubscriber.complete();
      }),
    };
    newScheduler().run(({ flush }) => {
      expertRun(expert, task, fresh(), deps).subscribe(subscriber);
      flush();
    });
    // retry's per-attempt subscriber hands straight to ours: one hop per attempt, none of the run's own.
    expect(seenBy).toEqual([subscriber, subscriber]);
    expect(receivedWhenEmitted).toEqual([['token of attempt 1'], ['token of attempt 1', 'token of attempt 2']]);
  });
});
