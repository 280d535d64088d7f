import { tap, throwError, type Observable } from 'rxjs';
import { ExpertError, FusionError } from '../../src/errors';
import type { ErrorEvent, StatusEvent, TokenEvent } from '../../src/events';
import { fuse } from '../../src/operators/fuse';
import type { Job } from '../../src/pipeline/job';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import type { ExpertAnswer, FusionContext, FusionStrategy } from '../../src/ports';
import { bestFusion } from '../../src/strategies/fusion-best';
import { sectionsFusion } from '../../src/strategies/fusion-sections';
import { executionDeps, fakeExpert, plannedJob } from '../support/execution-fixtures';
import { newScheduler } from '../support/virtual-time';

const answer = (expertId: string, text: string): ExpertAnswer => ({ expertId, text, ms: 10, tokens: 3 });
// The medoid (highest agreement) is B, the second in plan order; ties go to the earlier one.
const zebra = answer('A', 'zebra crossing');
const gamma = answer('B', 'alpha beta gamma');
const delta = answer('C', 'alpha beta delta');

/** A job planned for experts A, B, C with the given fusion and answers (undefined = that expert failed). */
const jobWith = (fusion: FusionStrategy, answers: (ExpertAnswer | undefined)[], errors: unknown[] = []): Job => {
  const job = plannedJob(['A', 'B', 'C'].map((id) => fakeExpert(id, [])), fusion);
  job.answers = answers;
  job.expertErrors.push(...errors);
  return job;
};

/** A generating strategy whose fused text is `fused` (built inside run()); records what it was given. */
const strategy = (fused: () => Observable<string>, mode: 'select' | 'generate' = 'generate') => {
  const calls: { answers: readonly ExpertAnswer[]; context: FusionContext }[] = [];
  const fusion: FusionStrategy = {
    id: 'custom', version: '1', orderSensitive: true, mode,
    fuse: (answers, context) => {
      calls.push({ answers, context });
      return fused();
    },
  };
  return { fusion, calls };
};

const fusionToken = (text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source: 'fusion', text });
const fellBack = (strategyId: string, expertId: string): StatusEvent =>
  ({ type: 'status', requestId: 'r1', message: `Fusion "${strategyId}" failed; using ${expertId}'s answer` });

describe('fuse', () => {
  it('selects the best-scored answer with no fusion tokens and hands on the answer (select mode)', () => {
    const deps = executionDeps();
    const job = jobWith(bestFusion(), [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events = cold(' n|', { n: handoff('answers', job) });
      const expected = '    a|';
      expectObservable(events.pipe(fuse(deps))).toBe(expected, { a: handoff('answer', job) });
      expectSubscriptions(events.subscriptions).toBe('^!');
    });
    expect(job.result).toEqual({ text: 'alpha beta gamma', fromCache: false, degraded: false });
    expect(job.metrics.stages).toEqual({ fusion: 0 });
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('streams the generated text as fusion tokens, then hands on the answer (generate mode)', () => {
    const deps = executionDeps();
    const job = jobWith(sectionsFusion(), [zebra, gamma, undefined]);
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' n-----|', { n: handoff('answers', job) });
      const expected = '    (fga)-|';
      expectObservable(events.pipe(fuse(deps))).toBe(expected, {
        f: fusionToken('### A\n\nzebra crossing'), g: fusionToken('\n\n### B\n\nalpha beta gamma'), a: handoff('answer', job),
      });
    });
    expect(job.result).toEqual({ text: '### A\n\nzebra crossing\n\n### B\n\nalpha beta gamma', fromCache: false, degraded: false });
  });

  it('emits fusion tokens as the strategy streams them, records the fusion stage before the answer hand-off', () => {
    const deps = executionDeps();
    let stageAtAnswer: number | undefined;
    let calls!: ReturnType<typeof strategy>['calls'];
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('   -x--y|', { x: 'Both say', y: ' alpha.' });
      const built = strategy(() => fused);
      calls = built.calls;
      job = jobWith(built.fusion, [zebra, undefined, delta], [new ExpertError('B', 'down', { status: 503 })]);
      const events = cold('  n|', { n: handoff('answers', job) });
      const expected = '     -x--y(a|)';
      const result = events.pipe(fuse(deps), tap((event) => { if (event.type === 'answer') stageAtAnswer = job.metrics.stages.fusion; }));
      expectObservable(result).toBe(expected, { x: fusionToken('Both say'), y: fusionToken(' alpha.'), a: handoff('answer', job) });
      expectSubscriptions(fused.subscriptions).toBe('^----!');
    });
    expect(stageAtAnswer).toBe(5);
    expect(job.metrics.stages).toEqual({ fusion: 5 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.answers).toEqual([zebra, delta]);
    expect(calls[0]?.context).toEqual(expect.objectContaining({ prompt: 'Tell me', plan: job.route?.plan }));
    expect(job.result).toEqual({ text: 'Both say alpha.', fromCache: false, degraded: true });
  });

  it('marks the answer degraded when one expert failed and fuses the rest (select mode)', () => {
    const deps = executionDeps();
    const job = jobWith(bestFusion(), [undefined, gamma, delta], [new ExpertError('A', 'Bad request', { status: 400 })]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('n|', { n: handoff('answers', job) }).pipe(fuse(deps))).toBe('a|', { a: handoff('answer', job) });
    });
    expect(job.result).toEqual({ text: 'alpha beta gamma', fromCache: false, degraded: true });
    expect(deps.reportSystemError).not.toHaveBeenCalled();
  });

  it('falls back to the best-scored expert, degraded, with a status, when the strategy throws', () => {
    const deps = executionDeps();
    const boom = new Error('boom');
    const { fusion } = strategy(() => { throw boom; });
    const job = jobWith(fusion, [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' n-----|', { n: handoff('answers', job) });
      const expected = '    (sa)--|';
      expectObservable(events.pipe(fuse(deps))).toBe(expected, { s: fellBack('custom', 'B'), a: handoff('answer', job) });
    });
    expect(job.result).toEqual({ text: 'alpha beta gamma', fromCache: false, degraded: true });
    expect(deps.reportSystemError).toHaveBeenCalledTimes(1);
    const [error, context] = deps.reportSystemError.mock.calls[0]!;
    expect(FusionError.isInstance(error)).toBe(true);
    expect(error).toEqual(expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', cause: boom }));
    expect(context).toEqual({ requestId: 'r1', stage: 'fusion', plan: job.route?.plan });
    expect(job.metrics.stages).toEqual({ fusion: 0 });
  });

  it('falls back after the fusion tokens already sent when the strategy errors mid-stream, and times the fusion to the error', () => {
    const deps = executionDeps();
    const broken = new Error('socket closed');
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('  -x-#', { x: 'Partial' }, broken);
      job = jobWith(strategy(() => fused).fusion, [zebra, gamma, delta]);
      const events = cold(' n-------|', { n: handoff('answers', job) });
      const expected = '    -x-(sa)-|';
      expectObservable(events.pipe(fuse(deps))).toBe(expected, { x: fusionToken('Partial'), s: fellBack('custom', 'B'), a: handoff('answer', job) });
      expectSubscriptions(fused.subscriptions).toBe('^--!');
    });
    expect(job.result).toEqual({ text: 'alpha beta gamma', fromCache: false, degraded: true });
    expect(deps.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', cause: broken }), expect.objectContaining({ stage: 'fusion' }));
    expect(job.metrics.stages).toEqual({ fusion: 3 });
  });

  it('reports a FusionError the strategy errors with as it is', () => {
    const deps = executionDeps();
    const own = new FusionError('custom', 'custom fusion: no quorum');
    const job = jobWith(strategy(() => throwError(() => own)).fusion, [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('n-----|', { n: handoff('answers', job) }).pipe(fuse(deps)))
        .toBe('(sa)--|', { s: fellBack('custom', 'B'), a: handoff('answer', job) });
    });
    expect(deps.reportSystemError.mock.calls[0]?.[0]).toBe(own);
  });

  it('falls back when a generating strategy emits only whitespace', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable }) => {
      const fused = cold('  -x-y|', { x: '  ', y: '\n' });
      job = jobWith(strategy(() => fused).fusion, [zebra, gamma, delta]);
      const events = cold(' n|', { n: handoff('answers', job) });
      expectObservable(events.pipe(fuse(deps))).toBe('-x-y(sa|)', {
        x: fusionToken('  '), y: fusionToken('\n'), s: fellBack('custom', 'B'), a: handoff('answer', job),
      });
    });
    expect(job.result).toEqual({ text: 'alpha beta gamma', fromCache: false, degraded: true });
    expect(deps.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', message: 'Fusion produced no text' }), expect.anything());
  });

  it('falls back when a selecting strategy selects only whitespace, still without fusion tokens', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable }) => {
      const fused = cold('  --x|', { x: ' ' });
      job = jobWith(strategy(() => fused, 'select').fusion, [zebra, gamma, delta]);
      expectObservable(cold('n|', { n: handoff('answers', job) }).pipe(fuse(deps))).toBe('---(sa|)', {
        s: fellBack('custom', 'B'), a: handoff('answer', job),
      });
    });
    expect(job.result).toEqual({ text: 'alpha beta gamma', fromCache: false, degraded: true });
  });

  it('emits a system error event with a generic message and reports an AggregateError when every expert failed', () => {
    const deps = executionDeps();
    const errors = [new ExpertError('A', 'secret-key sk-123 rejected', { status: 401 }), new ExpertError('B', 'down', { status: 503 })];
    const { fusion, calls } = strategy(() => { throw new Error('must not be called'); });
    const job = jobWith(fusion, [undefined, undefined, undefined], errors);
    const expectedError: ErrorEvent = {
      type: 'error', requestId: 'r1', error: { kind: 'system', message: 'The request could not be completed. Please try again later.', user: false },
    };
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-n|', { n: handoff('answers', job) }).pipe(fuse(deps))).toBe('-e|', { e: expectedError });
    });
    expect(calls).toEqual([]);
    expect(job.result).toBeUndefined();
    expect(deps.reportSystemError).toHaveBeenCalledTimes(1);
    const [error, context] = deps.reportSystemError.mock.calls[0]!;
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual(errors);
    expect(context).toEqual({ requestId: 'r1', stage: 'execution', plan: job.route?.plan });
    expect(job.metrics.stages.fusion).toBeUndefined();
  });

  it('unsubscribes a streaming strategy at the frame the subscriber leaves', () => {
    const deps = executionDeps();
    let job!: Job;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('  -x--y|', { x: 'a', y: 'b' });
      job = jobWith(strategy(() => fused).fusion, [zebra, gamma, delta]);
      const events = cold(' n|', { n: handoff('answers', job) });
      const unsub = '       ^--!';
      expectObservable(events.pipe(fuse(deps)), unsub).toBe('-x-', { x: fusionToken('a') });
      expectSubscriptions(fused.subscriptions).toBe('^--!');
    });
    expect(job.result).toBeUndefined();
    expect(job.metrics.stages).toEqual({ fusion: 3 });
  });

  it('passes every other event kind through untouched, as the same object', () => {
    const deps = executionDeps();
    const job = jobWith(bestFusion(), [gamma]);
    const passing: StageEvent[] = [
      { type: 'token', requestId: 'r1', source: 'A', text: 'alpha' },
      { type: 'expert', requestId: 'r1', expertId: 'A', outcome: 'ok', ms: 3, tokens: 1 },
      { type: 'retry', requestId: 'r1', source: 'A', attempt: 1, maxRetries: 2, delayMs: 5, reason: 'HTTP 503', discard: true },
      { type: 'status', requestId: 'r1', message: 'hi' },
      handoff('execute', job),
      handoff('answer', job),
      handoff('guarded', job),
    ];
    const values = Object.fromEntries(passing.map((event, i) => [String.fromCharCode(97 + i), event]));
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdefg|', values).pipe(fuse(deps), tap((e) => seen.push(e)))).toBe('abcdefg|', values);
    });
    seen.forEach((event, i) => expect(event).toBe(passing[i]));
    expect(seen).toHaveLength(passing.length);
    expect(job.result).toBeUndefined();
  });
});
