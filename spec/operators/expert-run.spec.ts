import { asyncScheduler, type Observable } from 'rxjs';
import { ExpertError, TimeoutError } from '../../src/errors';
import type { ExpertEvent, RetryEvent, StatusEvent, TokenEvent } from '../../src/events';
import { runExpert } from '../../src/operators/run-expert';
import type { Job } from '../../src/pipeline/job';
import type { Expert } from '../../src/ports';
import { seededRandom } from '../../src/strategies/backoff';
import { executionDeps, fakeExpert, plannedJob } from '../support/execution-fixtures';
import { newScheduler, pendingTimers } from '../support/virtual-time';

const unavailable = new ExpertError('A', 'Service unavailable', { status: 503 });
const badRequest = new ExpertError('A', 'Bad request', { status: 400 });
const connectionReset = new ExpertError('A', 'Connection reset', { failure: 'network' });
const rateLimited = (retryAfterMs: number): ExpertError => new ExpertError('A', 'Rate limited', { status: 429, retryAfterMs });

const token = (text: string, source = 'A'): TokenEvent => ({ type: 'token', requestId: 'r1', source, text });
const ok = (ms: number, tokens: number): ExpertEvent => ({ type: 'expert', requestId: 'r1', expertId: 'A', outcome: 'ok', ms, tokens });
const failed = (ms: number, tokens: number, error: string): ExpertEvent =>
  ({ type: 'expert', requestId: 'r1', expertId: 'A', outcome: 'failed', ms, tokens, error });
const retry = (attempt: number, delayMs: number, reason: string, discard: boolean): RetryEvent =>
  ({ type: 'retry', requestId: 'r1', source: 'A', attempt, maxRetries: 2, delayMs, reason, discard });
const status = (attempt: number, delayMs: number, reason: string): StatusEvent =>
  ({ type: 'status', requestId: 'r1', message: `Retry ${attempt}/2 in ${delayMs}ms: A (${reason})` });

describe('runExpert', () => {
  it('turns tokens into token events of its expert and ends with an ok expert event with exact ms and tokens', () => {
    const deps = executionDeps();
    let job!: Job;
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold(' -a--b-|', { a: 'Hello', b: ' world' });
      const expected = '   -a--b-(e|)';
      const subs = '       ^-----!';
      expert = fakeExpert('A', [reply]);
      job = plannedJob([fakeExpert('other', []), expert]);
      expectObservable(runExpert(expert, 1, job, deps)).toBe(expected, { a: token('Hello'), b: token(' world'), e: ok(6, 2) });
      expectSubscriptions(reply.subscriptions).toBe(subs);
    });
    expect(expert.tasks).toEqual([{ requestId: 'r1', prompt: 'Tell me', attempt: 1 }]);
    expect(job.answers[1]).toEqual({ expertId: 'A', text: 'Hello world', ms: 6, tokens: 2 });
    expect(job.answers[0]).toBeUndefined();
    expect(job.metrics.experts.A).toEqual({ startedAt: 0, ttft: 1, ms: 6, text: 'Hello world', tokens: 2, attempts: 1, outcome: 'ok' });
    expect(job.expertErrors).toEqual([]);
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('measures ms and ttft from its own start, not from frame 0', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('   --a-|', { a: 'Hi' });
      const expected = '     ----------a-(e|)';
      const subs = '         --------^---!';
      const expert = fakeExpert('A', [reply]);
      asyncScheduler.schedule(() => {
        job = plannedJob([expert]);
        expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, { a: token('Hi'), e: ok(4, 1) });
      }, 8);
      expectSubscriptions(reply.subscriptions).toBe(subs);
    });
    expect(job.metrics.experts.A).toEqual(expect.objectContaining({ startedAt: 8, ttft: 2, ms: 4 }));
  });

  it('retries a 503 after one token: retry and status before the wait, attempt 2 exactly delayMs later, answer from attempt 2 only', () => {
    const deps = executionDeps({ retry: { random: () => 0.5 } });
    let job!: Job;
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -a-#', { a: 'Hel' }, unavailable);
      const second = cold('   --b-c|', { b: 'Hello', c: ' there' });
      const expected = '      -a-(rs) 48ms b-c(e|)';
      const firstSubs = '     ^--!';
      const secondSubs = '    53ms ^----!';
      expert = fakeExpert('A', [first, second]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, {
        a: token('Hel'), r: retry(1, 50, 'HTTP 503', true), s: status(1, 50, 'HTTP 503'),
        b: token('Hello'), c: token(' there'), e: ok(58, 2),
      });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
    expect(expert.tasks.map((task) => task.attempt)).toEqual([1, 2]);
    expect(job.answers[0]).toEqual({ expertId: 'A', text: 'Hello there', ms: 58, tokens: 2 });
    expect(job.metrics.experts.A).toEqual({ startedAt: 0, ttft: 1, ms: 58, text: 'Hello there', tokens: 2, attempts: 2, outcome: 'ok' });
    expect(job.expertErrors).toEqual([]);
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('draws each retry delay from the seeded jitter (full jitter, base doubling) and says discard: false when no token came', () => {
    // seededRandom(1) yields 0.627..., then 0.0027...: floor(0.627 * 100) = 62, floor(0.0027 * 200) = 0.
    const deps = executionDeps({ retry: { random: seededRandom(1) } });
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    --#', undefined, unavailable);
      const second = cold('   -#', undefined, connectionReset);
      const third = cold('    ----a|', { a: 'Done' });
      const expected = '      --(rs) 59ms (RS)a(e|)';
      const firstSubs = '     ^-!';
      const secondSubs = '    64ms ^!';
      const thirdSubs = '     65ms ^----!';
      const expert = fakeExpert('A', [first, second, third]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, {
        r: retry(1, 62, 'HTTP 503', false), s: status(1, 62, 'HTTP 503'),
        R: retry(2, 0, 'network', false), S: status(2, 0, 'network'),
        a: token('Done'), e: ok(70, 1),
      });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
      expectSubscriptions(third.subscriptions).toBe(thirdSubs);
    });
    expect(job.metrics.experts.A).toEqual({ startedAt: 0, ttft: 69, ms: 70, text: 'Done', tokens: 1, attempts: 3, outcome: 'ok' });
  });

  it('honours Retry-After of a 429 instead of the jittered delay', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -#', undefined, rateLimited(300));
      const second = cold('   -a|', { a: 'ok' });
      const expected = '      -(rs) 297ms a(e|)';
      const secondSubs = '    301ms ^-!';
      const expert = fakeExpert('A', [first, second]);
      expectObservable(runExpert(expert, 0, plannedJob([expert]), deps)).toBe(expected, {
        r: retry(1, 300, 'HTTP 429', false), s: status(1, 300, 'HTTP 429'), a: token('ok'), e: ok(303, 1),
      });
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
  });

  it('caps a Retry-After longer than maxDelayMs at maxDelayMs', () => {
    const deps = executionDeps({ retry: { maxDelayMs: 1000 } });
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -#', undefined, rateLimited(5000));
      const second = cold('   -a|', { a: 'ok' });
      const expected = '      -(rs) 997ms a(e|)';
      const secondSubs = '    1001ms ^-!';
      const expert = fakeExpert('A', [first, second]);
      expectObservable(runExpert(expert, 0, plannedJob([expert]), deps)).toBe(expected, {
        r: retry(1, 1000, 'HTTP 429', false), s: status(1, 1000, 'HTTP 429'), a: token('ok'), e: ok(1003, 1),
      });
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
  });

  it('does not retry a 400: ends with a failed expert event, fills expertErrors and reports the error', () => {
    const deps = executionDeps();
    let job!: Job;
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -a-#', { a: 'Hel' }, badRequest);
      const expected = '      -a-(e|)';
      const firstSubs = '     ^--!';
      expert = fakeExpert('A', [first, cold('-b|')]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, { a: token('Hel'), e: failed(3, 1, 'HTTP 400') });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
    });
    expect(expert.tasks).toHaveLength(1);
    expect(job.answers).toEqual([]);
    expect(job.expertErrors).toEqual([badRequest]);
    expect(deps.reportSystemError).toHaveBeenCalledTimes(1);
    expect(deps.reportSystemError).toHaveBeenCalledWith(badRequest, { requestId: 'r1', stage: 'expert:A', plan: job.route?.plan });
    expect(job.metrics.experts.A).toEqual({ startedAt: 0, ttft: 1, ms: 3, text: 'Hel', tokens: 1, attempts: 1, outcome: 'failed' });
  });

  it('fails after maxRetries retries, with the backoff doubling between them', () => {
    const deps = executionDeps({ retry: { random: () => 0.5 } });
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const attempt = cold('  -#', undefined, unavailable);
      const expected = '      -(rs) 47ms (RS) 97ms (e|)';
      const subs = ['         ^!', '51ms ^!', '152ms ^!'];
      const expert = fakeExpert('A', [attempt, attempt, attempt]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, {
        r: retry(1, 50, 'HTTP 503', false), s: status(1, 50, 'HTTP 503'),
        R: retry(2, 100, 'HTTP 503', false), S: status(2, 100, 'HTTP 503'),
        e: failed(153, 0, 'HTTP 503'),
      });
      expectSubscriptions(attempt.subscriptions).toBe(subs);
    });
    expect(job.answers).toEqual([]);
    expect(job.expertErrors).toEqual([unavailable]);
    expect(deps.reportSystemError).toHaveBeenCalledTimes(1);
    expect(job.metrics.experts.A).toEqual(expect.objectContaining({ attempts: 3, outcome: 'failed', ms: 153 }));
  });

  it('retries a first-token timeout with reason "timeout (first-token)"', () => {
    const deps = executionDeps({ timeouts: { firstTokenMs: 5 } });
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    --------a|', { a: 'late' });
      const second = cold('   --a|', { a: 'quick' });
      const expected = '      -----(rs) 48ms a(e|)';
      const firstSubs = '     ^----!';
      const secondSubs = '    55ms ^--!';
      const expert = fakeExpert('A', [first, second]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, {
        r: retry(1, 50, 'timeout (first-token)', false), s: status(1, 50, 'timeout (first-token)'), a: token('quick'), e: ok(58, 1),
      });
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
    expect(job.answers[0]?.text).toBe('quick');
  });

  it('applies the deadlines per attempt and reports an idle timeout that exhausts the retries as failed', () => {
    const deps = executionDeps({ retry: { maxRetries: 1 }, timeouts: { idleMs: 3 } });
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const attempt = cold('  -a------b|', { a: 'x', b: 'y' });
      const expected = '      -a--(rs) 47ms a--(e|)';
      const subs = ['         ^---!', '54ms ^---!'];
      const expert = fakeExpert('A', [attempt, attempt]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe(expected, {
        a: token('x'),
        r: { ...retry(1, 50, 'timeout (idle)', true), maxRetries: 1 },
        s: { type: 'status', requestId: 'r1', message: 'Retry 1/1 in 50ms: A (timeout (idle))' },
        e: failed(58, 1, 'timeout (idle)'),
      });
      expectSubscriptions(attempt.subscriptions).toBe(subs);
    });
    expect(job.expertErrors).toEqual([expect.objectContaining({ _tag: 'TimeoutError', phase: 'idle', ms: 3, expertId: 'A' })]);
    expect(TimeoutError.isInstance(job.expertErrors[0])).toBe(true);
  });

  it('counts an answer of only whitespace as failed, without retrying', () => {
    const deps = executionDeps();
    let job!: Job;
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable }) => {
      expert = fakeExpert('A', [cold('-a-b|', { a: '  ', b: '\n' })]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe('-a-b(e|)', { a: token('  '), b: token('\n'), e: failed(4, 2, 'protocol') });
    });
    expect(expert.tasks).toHaveLength(1);
    expect(job.answers).toEqual([]);
    expect(job.expertErrors).toEqual([expect.objectContaining({ _tag: 'ExpertError', expertId: 'A', failure: 'protocol', retriable: false })]);
    expect(deps.reportSystemError).toHaveBeenCalledWith(job.expertErrors[0], expect.objectContaining({ stage: 'expert:A' }));
  });

  it('counts a stream that completes with no token as failed', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable }) => {
      const expert = fakeExpert('A', [cold('---|')]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe('---(e|)', { e: failed(3, 0, 'protocol') });
    });
    expect(job.answers).toEqual([]);
    expect(job.expertErrors).toHaveLength(1);
  });

  it('unsubscribes the running attempt at the frame the subscriber leaves, with no expert event', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('    -a-b-c-d|');
      const unsub = '         ^----!';
      const expected = '      -a-b-';
      const subs = '          ^----!';
      const expert = fakeExpert('A', [reply]);
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps), unsub).toBe(expected, { a: token('a'), b: token('b') });
      expectSubscriptions(reply.subscriptions).toBe(subs);
    });
    expect(job.metrics.experts.A?.outcome).toBeUndefined();
    expect(job.answers).toEqual([]);
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('cancels the retry wait when the subscriber leaves during it: no further attempt, no timer left', () => {
    const deps = executionDeps();
    const scheduler = newScheduler();
    let pending = -1;
    let expert!: ReturnType<typeof fakeExpert>;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('    -a-#', { a: 'Hel' }, unavailable);
      const second = cold('   -b|');
      const unsub = '         ^ 19ms !';
      const expected = '      -a-(rs)';
      expert = fakeExpert('A', [first, second]);
      expectObservable(runExpert(expert, 0, plannedJob([expert]), deps), unsub).toBe(expected, {
        a: token('Hel'), r: retry(1, 50, 'HTTP 503', true), s: status(1, 50, 'HTTP 503'),
      });
      expectSubscriptions(first.subscriptions).toBe('^--!');
      expectSubscriptions(second.subscriptions).toBe([]);
      scheduler.schedule(() => { pending = pendingTimers(scheduler); }, 30);
    });
    expect(pending).toBe(0);
    expect(expert.tasks).toHaveLength(1);
  });

  it('classifies an error thrown synchronously by expert.stream like one it emits (retry a 503)', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable }) => {
      const second = cold('-a|', { a: 'ok' });
      const expert: Expert = {
        id: 'A', model: 'm', version: '1',
        stream: (task): Observable<string> => {
          if (task.attempt === 1) throw unavailable;
          return second;
        },
      };
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe('(rs) 47ms a(e|)', {
        r: retry(1, 50, 'HTTP 503', false), s: status(1, 50, 'HTTP 503'), a: token('ok'), e: ok(52, 1),
      });
    });
    expect(job.answers[0]?.text).toBe('ok');
  });

  it('does not retry a non-retriable error thrown synchronously on a later attempt', () => {
    const deps = executionDeps();
    const bug = new Error('expert bug');
    let job!: Job;
    const attempts: number[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const first = cold('-#', undefined, unavailable);
      const expert: Expert = {
        id: 'A', model: 'm', version: '1',
        stream: (task): Observable<string> => {
          attempts.push(task.attempt);
          if (task.attempt === 1) return first;
          throw bug;
        },
      };
      job = plannedJob([expert]);
      expectObservable(runExpert(expert, 0, job, deps)).toBe('-(rs) 46ms (e|)', {
        r: retry(1, 50, 'HTTP 503', false), s: status(1, 50, 'HTTP 503'), e: failed(51, 0, 'error'),
      });
    });
    expect(attempts).toEqual([1, 2]);
    expect(job.expertErrors).toEqual([bug]);
  });
});
