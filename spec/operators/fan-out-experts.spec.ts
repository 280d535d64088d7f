import { tap } from 'rxjs';
import { ExpertError } from '../../src/errors';
import type { ExpertEvent, PipelineEvent, TokenEvent } from '../../src/events';
import { fanOutExperts } from '../../src/operators/fan-out-experts';
import type { Job } from '../../src/pipeline/job';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import { executionDeps, fakeExpert, plannedJob } from '../support/execution-fixtures';
import { newScheduler, pendingTimers } from '../support/virtual-time';

const token = (source: string, text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source, text });
const ended = (expertId: string, outcome: 'ok' | 'failed', ms: number, tokens: number, error?: string): ExpertEvent =>
  error === undefined
    ? { type: 'expert', requestId: 'r1', expertId, outcome, ms, tokens }
    : { type: 'expert', requestId: 'r1', expertId, outcome, ms, tokens, error };

describe('fanOutExperts', () => {
  it('interleaves the experts\' tokens by time and emits the answers hand-off after both ended', () => {
    const deps = executionDeps();
    let job!: Job;
    let executionAtAnswers: number | undefined;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('      -a---b|', { a: 'Alpha', b: ' one' });
      const b = cold('      --c-d---|', { c: 'Beta', d: ' two' });
      const aSubs = '       ^-----!';
      const bSubs = '       ^-------!';
      job = plannedJob([fakeExpert('A', [a]), fakeExpert('B', [b])]);
      const events = cold(' x|', { x: handoff('execute', job) });
      const expected = '    -ac-dbE-(Fn|)';
      const result = events.pipe(
        fanOutExperts(deps),
        tap((event) => { if (event.type === 'answers') executionAtAnswers = event.job.metrics.stages.execution; }),
      );
      expectObservable(result).toBe(expected, {
        a: token('A', 'Alpha'), c: token('B', 'Beta'), d: token('B', ' two'), b: token('A', ' one'),
        E: ended('A', 'ok', 6, 2), F: ended('B', 'ok', 8, 2), n: handoff('answers', job),
      });
      expectSubscriptions(a.subscriptions).toBe(aSubs);
      expectSubscriptions(b.subscriptions).toBe(bSubs);
    });
    expect(job.answers).toEqual([
      { expertId: 'A', text: 'Alpha one', ms: 6, tokens: 2 },
      { expertId: 'B', text: 'Beta two', ms: 8, tokens: 2 },
    ]);
    expect(executionAtAnswers).toBe(8);
    expect(job.metrics.stages).toEqual({ execution: 8 });
    expect(job.metrics.experts).toEqual({
      A: { startedAt: 0, ttft: 1, ms: 6, text: 'Alpha one', tokens: 2, attempts: 1, outcome: 'ok' },
      B: { startedAt: 0, ttft: 2, ms: 8, text: 'Beta two', tokens: 2, attempts: 1, outcome: 'ok' },
    });
  });

  it('hands the same job on in the answers hand-off', () => {
    const deps = executionDeps();
    let job!: Job;
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      job = plannedJob([fakeExpert('A', [cold('-a|')])]);
      expectObservable(cold('x|', { x: handoff('execute', job) }).pipe(fanOutExperts(deps), tap((e) => seen.push(e))))
        .toBe('-a(En|)', { a: token('A', 'a'), E: ended('A', 'ok', 2, 1), n: handoff('answers', job) });
    });
    const answers = seen.find((event) => event.type === 'answers');
    expect(answers !== undefined && 'job' in answers && answers.job).toBe(job);
  });

  it('unsubscribes every expert at the frame the subscriber leaves, records the execution time and no outcome', () => {
    const deps = executionDeps();
    const scheduler = newScheduler();
    let job!: Job;
    let pending = -1;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('      -a---b|');
      const b = cold('      --c-d---|');
      const unsub = '       ^--!';
      const expected = '    -ac';
      const subs = '        ^--!';
      job = plannedJob([fakeExpert('A', [a]), fakeExpert('B', [b])]);
      const events = cold(' x|', { x: handoff('execute', job) });
      expectObservable(events.pipe(fanOutExperts(deps)), unsub).toBe(expected, { a: token('A', 'a'), c: token('B', 'c') });
      expectSubscriptions(a.subscriptions).toBe(subs);
      expectSubscriptions(b.subscriptions).toBe(subs);
      scheduler.schedule(() => { pending = pendingTimers(scheduler); }, 5);
    });
    expect(pending).toBe(0);
    expect(job.answers).toEqual([]);
    expect(job.metrics.stages).toEqual({ execution: 3 });
    expect(job.metrics.experts.A?.outcome).toBeUndefined();
    expect(job.metrics.experts.B?.outcome).toBeUndefined();
  });

  it('unsubscribes a retrying expert\'s wait and the other expert\'s stream together', () => {
    const deps = executionDeps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('     -#', undefined, new ExpertError('A', 'down', { status: 503 }));
      const a2 = cold('     -a|');
      const b = cold('      ---------c|');
      const unsub = '       ^-------!';
      const bSubs = '       ^-------!';
      const job = plannedJob([fakeExpert('A', [a1, a2]), fakeExpert('B', [b])]);
      const events = cold(' x|', { x: handoff('execute', job) });
      expectObservable(events.pipe(fanOutExperts(deps)), unsub).toBe('-(rs)', {
        r: { type: 'retry', requestId: 'r1', source: 'A', attempt: 1, maxRetries: 2, delayMs: 50, reason: 'HTTP 503', discard: false },
        s: { type: 'status', requestId: 'r1', message: 'Retry 1/2 in 50ms: A (HTTP 503)' },
      });
      expectSubscriptions(a1.subscriptions).toBe('^!');
      expectSubscriptions(a2.subscriptions).toBe([]);
      expectSubscriptions(b.subscriptions).toBe(bSubs);
    });
  });

  it('interleaves one expert\'s retry with the other\'s tokens; attempt 2 starts exactly delayMs after the failure', () => {
    const deps = executionDeps({ retry: { random: () => 0.5 } });
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a1 = cold('     -a-#', { a: 'Al' }, new ExpertError('A', 'down', { status: 503 }));
      const a2 = cold('     --b|', { b: 'Alpha' });
      const b = cold('      --------c 41ms d|', { c: 'Beta', d: '!' });
      const a2Subs = '      53ms ^--!';
      const expected = '    -a-(rs)-c 41ms dF---b(En|)';
      job = plannedJob([fakeExpert('A', [a1, a2]), fakeExpert('B', [b])]);
      const events = cold(' x|', { x: handoff('execute', job) });
      expectObservable(events.pipe(fanOutExperts(deps))).toBe(expected, {
        a: token('A', 'Al'),
        r: { type: 'retry', requestId: 'r1', source: 'A', attempt: 1, maxRetries: 2, delayMs: 50, reason: 'HTTP 503', discard: true },
        s: { type: 'status', requestId: 'r1', message: 'Retry 1/2 in 50ms: A (HTTP 503)' },
        c: token('B', 'Beta'), d: token('B', '!'), F: ended('B', 'ok', 51, 2), b: token('A', 'Alpha'),
        E: ended('A', 'ok', 56, 1), n: handoff('answers', job),
      });
      expectSubscriptions(a1.subscriptions).toBe('^--!');
      expectSubscriptions(a2.subscriptions).toBe(a2Subs);
    });
    expect(job.answers.map((answer) => answer?.text)).toEqual(['Alpha', 'Beta!']);
    expect(job.metrics.stages.execution).toBe(56);
    expect(job.metrics.experts.A).toEqual({ startedAt: 0, ttft: 1, ms: 56, text: 'Alpha', tokens: 1, attempts: 2, outcome: 'ok' });
  });

  it('still hands on the answers when one expert fails, with its slot empty and its error recorded', () => {
    const deps = executionDeps();
    const badRequest = new ExpertError('A', 'Bad request', { status: 400 });
    let job!: Job;
    newScheduler().run(({ cold, expectObservable }) => {
      const a = cold('      --#', undefined, badRequest);
      const b = cold('      -c--|', { c: 'Beta' });
      job = plannedJob([fakeExpert('A', [a]), fakeExpert('B', [b])]);
      const events = cold(' x|', { x: handoff('execute', job) });
      expectObservable(events.pipe(fanOutExperts(deps))).toBe('-cE-(Fn|)', {
        c: token('B', 'Beta'), E: ended('A', 'failed', 2, 0, 'HTTP 400'), F: ended('B', 'ok', 4, 1), n: handoff('answers', job),
      });
    });
    expect(job.answers[0]).toBeUndefined();
    expect(job.answers[1]).toEqual({ expertId: 'B', text: 'Beta', ms: 4, tokens: 1 });
    expect(job.expertErrors).toEqual([badRequest]);
    expect(deps.reportSystemError).toHaveBeenCalledWith(badRequest, expect.objectContaining({ requestId: 'r1', stage: 'expert:A' }));
    expect(job.metrics.experts.A).toEqual(expect.objectContaining({ outcome: 'failed', ttft: null }));
  });

  it('hands on the answers at once for a plan without experts', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable }) => {
      job = plannedJob([]);
      expectObservable(cold('x|', { x: handoff('execute', job) }).pipe(fanOutExperts(deps))).toBe('n|', { n: handoff('answers', job) });
    });
    expect(job.metrics.stages).toEqual({ execution: 0 });
  });

  it('passes every other event kind through untouched, as the same object, and never calls an expert', () => {
    const deps = executionDeps();
    const expert = fakeExpert('A', []);
    const job = plannedJob([expert]);
    const passing: StageEvent[] = [
      { type: 'start', requestId: 'r1', at: 0 },
      { type: 'token', requestId: 'r1', source: 'cache', text: 'cached' },
      { type: 'status', requestId: 'r1', message: 'hello' },
      { type: 'cache', requestId: 'r1', hit: true, key: 'k' },
      handoff('planned', job),
      handoff('answers', job),
      handoff('answer', job),
      { type: 'complete', requestId: 'r1', text: 'cached', fromCache: true, degraded: false } satisfies PipelineEvent,
    ];
    const values = Object.fromEntries(passing.map((event, i) => [String.fromCharCode(97 + i), event]));
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events = cold(' a-b-c-d-e-f-g-h|', values);
      const expected = '    a-b-c-d-e-f-g-h|';
      expectObservable(events.pipe(fanOutExperts(deps), tap((e) => seen.push(e)))).toBe(expected, values);
      expectSubscriptions(events.subscriptions).toBe('^--------------!');
    });
    expect(seen).toHaveLength(passing.length);
    seen.forEach((event, i) => expect(event).toBe(passing[i]));
    expect(expert.tasks).toEqual([]);
  });
});
