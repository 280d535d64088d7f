import { map, of, throwError, type Observable } from 'rxjs';
import type { AnswerEvent, AnswersEvent, ChainEvent, TimingEvent } from '../../src/chain-events';
import { ExpertError, FusionError } from '../../src/errors';
import type { StatusEvent, TokenEvent } from '../../src/events';
import { fuse } from '../../src/operators/fuse';
import type { Usage } from '../../src/conversation';
import type { ExpertAnswer, FusionContext, FusionStrategy } from '../../src/ports';
import { bestFusion } from '../../src/strategies/fusion-best';
import { sectionsFusion } from '../../src/strategies/fusion-sections';
import { expectPassThrough } from '../support/every-kind';
import { answersEvent } from '../support/execution-fixtures';
import { aReporter, systemError } from '../support/operator-fixtures';
import { countingScheduler, newScheduler } from '../support/virtual-time';

const answer = (expertId: string, text: string): ExpertAnswer => ({ expertId, text, ms: 10, tokens: 3 });
// The medoid (highest agreement) is B, the second in plan order; ties go to the earlier one.
const zebra = answer('A', 'zebra crossing');
const gamma = answer('B', 'alpha beta gamma');
const delta = answer('C', 'alpha beta delta');

/** A strategy whose fused text is `fused` (built inside run()); records what it was given. */
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

const deps = () => ({ reportSystemError: aReporter() });

const fusionToken = (text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source: 'fusion', text });
const timing = (ms: number, at = 0): TimingEvent => ({ type: 'timing', requestId: 'r1', stage: 'fusion', at, ms });
/** The fusion timing without `ms`: fusion started at `at` and is still running. */
const fusing = (at = 0): TimingEvent => ({ type: 'timing', requestId: 'r1', stage: 'fusion', at });
/** The answer hand-off; `usage` defaults to the experts' (what a fusion that reports nothing adds). */
const answered = (event: AnswersEvent, text: string, degraded: boolean, usage: Usage = event.usage): AnswerEvent => {
  const base = { type: 'answer' as const, requestId: 'r1', text, fromCache: false, degraded, planId: event.route.plan.id, usage };
  return event.cacheKey === undefined ? base : { ...base, cacheKey: event.cacheKey };
};
const fellBack = (strategyId: string, expertId: string): StatusEvent =>
  ({ type: 'status', requestId: 'r1', message: `Fusion "${strategyId}" failed; using ${expertId}'s answer` });

describe('fuse', () => {
  it('selects the best-scored answer with no fusion tokens, then the fusion timing and the answer hand-off (select mode)', () => {
    const d = deps();
    const event = answersEvent(bestFusion(), [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('(n|)', { n: event });
      expectObservable(source.pipe(fuse(d))).toBe('(Ta|)', { T: timing(0), a: answered(event, 'alpha beta gamma', false) });
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('streams the generated text as fusion tokens, then the timing and the answer (generate mode)', () => {
    const event = answersEvent(sectionsFusion(), [zebra, gamma]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(deps()))).toBe('(fgTa|)', {
        f: fusionToken('### A\n\nzebra crossing'), g: fusionToken('\n\n### B\n\nalpha beta gamma'), T: timing(0),
        a: answered(event, '### A\n\nzebra crossing\n\n### B\n\nalpha beta gamma', false),
      });
    });
  });

  it('emits fusion tokens as the strategy streams them and times the fusion to its end; gives it the clean answers and the context', () => {
    let calls!: ReturnType<typeof strategy>['calls'];
    let event!: AnswersEvent;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('   -x--y|', { x: 'Both say', y: ' alpha.' });
      const built = strategy(() => fused);
      calls = built.calls;
      event = answersEvent(built.fusion, [zebra, delta], [new ExpertError('B', 'down', { status: 503 })]);
      const source = cold('  --n|', { n: event });
      const expected = '     --Fx--y(Ta|)';
      expectObservable(source.pipe(fuse(deps()))).toBe(expected, {
        F: fusing(2), x: fusionToken('Both say'), y: fusionToken(' alpha.'), T: timing(5, 2), a: answered(event, 'Both say alpha.', true),
      });
      expectSubscriptions(fused.subscriptions).toBe('--^----!');
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.answers).toEqual([zebra, delta]);
    expect(calls[0]?.context).toEqual({
      prompt: 'Tell me', messages: [{ role: 'user', content: 'Tell me' }], plan: event.route.plan, scheduler: expect.anything(), requestId: 'r1',
      reportUsage: expect.any(Function),
    });
  });

  it('gives the strategy the whole conversation and the params', () => {
    const { fusion, calls } = strategy(() => of('ok'));
    const base = answersEvent(fusion, [zebra]);
    const messages = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Tell me' }];
    const event: AnswersEvent = { ...base, request: { ...base.request, messages, params: { temperature: 0.2 } } };
    newScheduler().run(({ cold, flush }) => {
      cold('(n|)', { n: event }).pipe(fuse(deps())).subscribe();
      flush();
    });
    expect(calls[0]?.context).toEqual(expect.objectContaining({ prompt: 'Tell me', messages, params: { temperature: 0.2 } }));
  });

  it('adds what a generating strategy reports of its own call to the experts\' usage on the answer', () => {
    const spent: Usage = { inputTokens: 50, outputTokens: 7, estimated: false };
    const event = answersEvent(strategy(() => of('Both say', ' alpha.')).fusion, [zebra, gamma]);
    const reporting: FusionStrategy = { ...event.route.fusion, fuse: (answers, context) => {
      context.reportUsage?.(spent);
      return event.route.fusion.fuse(answers, context);
    } };
    const reported: AnswersEvent = { ...event, route: { ...event.route, fusion: reporting } };
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: reported }).pipe(fuse(deps()))).toBe('(xyTa|)', {
        x: fusionToken('Both say'), y: fusionToken(' alpha.'), T: timing(0),
        // The experts' 6 (EXPERTS_USAGE) + 50 in, 9 + 7 out; estimated, since the experts' part was.
        a: answered(reported, 'Both say alpha.', false, { inputTokens: 56, outputTokens: 16, estimated: true }),
      });
    });
  });

  it('keeps what a strategy reported before it failed on the fallback answer', () => {
    const event = answersEvent(strategy(() => of('x')).fusion, [zebra, gamma, delta]);
    const failing: FusionStrategy = { ...event.route.fusion, fuse: (_answers, context) => {
      context.reportUsage?.({ inputTokens: 40, outputTokens: 0, estimated: false });
      return throwError(() => new Error('model down'));
    } };
    const reported: AnswersEvent = { ...event, route: { ...event.route, fusion: failing } };
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: reported }).pipe(fuse(deps()))).toBe('(Tsa|)', {
        // The experts' 6 (EXPERTS_USAGE) + 40 in, 9 out.
        T: timing(0), s: fellBack('custom', 'B'), a: answered(reported, 'alpha beta gamma', true, { inputTokens: 46, outputTokens: 9, estimated: true }),
      });
    });
  });

  it('emits no running fusion timing when a strategy streams and completes, or errors, synchronously', () => {
    const d = deps();
    const own = new FusionError('custom', 'custom fusion: refused');
    const streamed = answersEvent(strategy(() => of('Both say', ' alpha.')).fusion, [zebra, gamma]);
    const refused = answersEvent(strategy(() => throwError(() => own)).fusion, [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: streamed }).pipe(fuse(d))).toBe('(xyTa|)', {
        x: fusionToken('Both say'), y: fusionToken(' alpha.'), T: timing(0), a: answered(streamed, 'Both say alpha.', false),
      });
      expectObservable(cold('-(n|)', { n: refused }).pipe(fuse(d))).toBe('-(Tsa|)', {
        T: timing(0, 1), s: fellBack('custom', 'B'), a: answered(refused, 'alpha beta gamma', true),
      });
    });
    expect(d.reportSystemError.mock.calls.map(([error]) => error)).toEqual([own]);
  });

  it('marks the answer degraded when one expert failed and fuses the rest (select mode)', () => {
    const d = deps();
    const event = answersEvent(bestFusion(), [gamma, delta], [new ExpertError('A', 'Bad request', { status: 400 })]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(d))).toBe('(Ta|)', { T: timing(0), a: answered(event, 'alpha beta gamma', true) });
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('hands on no cache key when the answers carry none', () => {
    const event = answersEvent(bestFusion(), [gamma], [], null);
    const out: ChainEvent[] = [];
    newScheduler().run(({ cold, flush }) => {
      cold('(n|)', { n: event }).pipe(fuse(deps())).subscribe((e) => out.push(e));
      flush();
    });
    expect(out).toEqual([timing(0), answered(event, 'alpha beta gamma', false)]);
    expect(out[1]).not.toHaveProperty('cacheKey');
  });

  it('falls back to the best-scored expert, degraded, with a status, when the strategy throws; reports a FusionError with the cause', () => {
    const d = deps();
    const boom = new Error('boom');
    const event = answersEvent(strategy(() => { throw boom; }).fusion, [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' n-----|', { n: event });
      const expected = '    (Tsa)-|';
      expectObservable(source.pipe(fuse(d))).toBe(expected, { T: timing(0), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true) });
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    const [error, context] = d.reportSystemError.mock.calls[0]!;
    expect(FusionError.isInstance(error)).toBe(true);
    expect(error).toEqual(expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', cause: boom }));
    expect(context).toEqual({ requestId: 'r1', stage: 'fusion', plan: event.route.plan });
  });

  it('falls back after the fusion tokens already sent when the strategy errors mid-stream, and times the fusion to the error', () => {
    const d = deps();
    const broken = new Error('socket closed');
    let event!: AnswersEvent;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('  -x-#', { x: 'Partial' }, broken);
      event = answersEvent(strategy(() => fused).fusion, [zebra, gamma, delta]);
      const source = cold(' n---------|', { n: event });
      const expected = '    Fx-(Tsa)--|';
      expectObservable(source.pipe(fuse(d))).toBe(expected, {
        F: fusing(), x: fusionToken('Partial'), T: timing(3), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true),
      });
      expectSubscriptions(fused.subscriptions).toBe('^--!');
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', cause: broken }), expect.objectContaining({ stage: 'fusion' }));
  });

  it('reports a FusionError the strategy errors with as it is', () => {
    const d = deps();
    const own = new FusionError('custom', 'custom fusion: no quorum');
    const event = answersEvent(strategy(() => throwError(() => own)).fusion, [zebra, gamma, delta]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(d)))
        .toBe('(Tsa|)', { T: timing(0), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true) });
    });
    expect(d.reportSystemError.mock.calls[0]?.[0]).toBe(own);
  });

  it('falls back when a generating strategy emits only whitespace', () => {
    const d = deps();
    let event!: AnswersEvent;
    newScheduler().run(({ cold, expectObservable }) => {
      const fused = cold('  -x-y|', { x: '  ', y: '\n' });
      event = answersEvent(strategy(() => fused).fusion, [zebra, gamma, delta]);
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(d))).toBe('Fx-y(Tsa|)', {
        F: fusing(), x: fusionToken('  '), y: fusionToken('\n'), T: timing(4), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true),
      });
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', message: 'Fusion produced no text' }), expect.anything());
  });

  it('falls back when a selecting strategy selects only whitespace, still without fusion tokens', () => {
    let event!: AnswersEvent;
    newScheduler().run(({ cold, expectObservable }) => {
      const fused = cold('  --x|', { x: ' ' });
      event = answersEvent(strategy(() => fused, 'select').fusion, [zebra, gamma, delta]);
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(deps()))).toBe('F--(Tsa|)', {
        F: fusing(), T: timing(3), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true),
      });
    });
  });

  it('falls back at exactly timeoutMs when the strategy runs longer, unsubscribing it then', () => {
    const d = { ...deps(), timeoutMs: 4 };
    let event!: AnswersEvent;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('  -x------y|', { x: 'slow', y: ' text' });
      event = answersEvent(strategy(() => fused).fusion, [zebra, gamma, delta]);
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(d))).toBe('Fx--(Tsa|)', {
        F: fusing(), x: fusionToken('slow'), T: timing(4), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true),
      });
      expectSubscriptions(fused.subscriptions).toBe('^---!');
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'FusionError', strategyId: 'custom', message: 'Fusion took longer than 4ms' }), expect.anything());
  });

  it('lets a strategy that ends before timeoutMs through', () => {
    const d = { ...deps(), timeoutMs: 4 };
    let event!: AnswersEvent;
    newScheduler().run(({ cold, expectObservable }) => {
      event = answersEvent(strategy(() => cold('-xy|', { x: 'in', y: ' time' })).fusion, [zebra]);
      expectObservable(cold('(n|)', { n: event }).pipe(fuse(d))).toBe('Fxy(Ta|)', {
        F: fusing(), x: fusionToken('in'), y: fusionToken(' time'), T: timing(3), a: answered(event, 'in time', false),
      });
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('arms the deadline only for a fusion still running once subscribed (no timer for best or first)', () => {
    const scheduled: number[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const counting = countingScheduler(scheduled);
      const best = answersEvent(bestFusion(), [zebra, gamma, delta]);
      const done: ChainEvent[] = [];
      of<ChainEvent>(best).pipe(fuse({ ...deps(), timeoutMs: 4 }, counting)).subscribe((event) => done.push(event));
      expect(done.map((event) => event.type)).toEqual(['timing', 'answer']);
      expect(scheduled).toEqual([]);
      const slow = answersEvent(strategy(() => cold('-x|', { x: 'slow' })).fusion, [zebra]);
      expectObservable(of<ChainEvent>(slow).pipe(fuse({ ...deps(), timeoutMs: 4 }, counting)).pipe(map((event) => event.type))).toBe('tk(ta|)', { t: 'timing', k: 'token', a: 'answer' });
    });
    expect(scheduled).toEqual([4]); // the slow one's deadline
  });

  it('picks the fallback with the scorer it is given', () => {
    const byLength = (candidate: ExpertAnswer) => candidate.text.length;
    const event = answersEvent(strategy(() => { throw new Error('boom'); }).fusion, [gamma, zebra, delta]);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: event }).pipe(fuse({ ...deps(), scorer: byLength })))
        .toBe('(Tsa|)', { T: timing(0), s: fellBack('custom', 'B'), a: answered(event, 'alpha beta gamma', true) });
    });
    const shortest = (candidate: ExpertAnswer) => -candidate.text.length;
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: event }).pipe(fuse({ ...deps(), scorer: shortest })))
        .toBe('(Tsa|)', { T: timing(0), s: fellBack('custom', 'A'), a: answered(event, 'zebra crossing', true) });
    });
  });

  it('emits a system error event with a generic message and reports an AggregateError when every expert failed; no timing', () => {
    const d = deps();
    const errors = [new ExpertError('A', 'secret-key sk-123 rejected', { status: 401 }), new ExpertError('B', 'down', { status: 503 })];
    const { fusion, calls } = strategy(() => { throw new Error('must not be called'); });
    const event = answersEvent(fusion, [], errors);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-n|', { n: event }).pipe(fuse(d))).toBe('-e|', { e: systemError('system') });
    });
    expect(calls).toEqual([]);
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    const [error, context] = d.reportSystemError.mock.calls[0]!;
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual(errors);
    expect((error as AggregateError).message).toBe('All 2 experts failed');
    expect(context).toEqual({ requestId: 'r1', stage: 'execution', plan: event.route.plan });
  });

  it('unsubscribes a streaming strategy at the frame the subscriber leaves, with no answer after its tokens and no report', () => {
    const d = deps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fused = cold('  -x--y|', { x: 'a', y: 'b' });
      const event = answersEvent(strategy(() => fused).fusion, [zebra, gamma, delta]);
      const unsub = '       ^--!';
      expectObservable(cold('n|', { n: event }).pipe(fuse(d)), unsub).toBe('Fx-', { F: fusing(), x: fusionToken('a') });
      expectSubscriptions(fused.subscriptions).toBe('^--!');
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('passes every other kind through as the same object', () => {
    expectPassThrough(fuse(deps()), 'A');
  });
});
