import { EMPTY, asyncScheduler, map, of, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { ChainEvent, ExpertProgress, ExpertsStartedEvent, TimingEvent } from '../../src/chain-events';
import type { CancelledEvent, ExpertEvent, MetricsEvent, PipelineEvent, PlanEvent } from '../../src/events';
import type { CacheFault, PipelineMetrics, Stage } from '../../src/metrics';
import { cacheLookup } from '../../src/operators/cache-lookup';
import { finish, type FinishDeps } from '../../src/operators/finish';
import { fuse } from '../../src/operators/fuse';
import { plan } from '../../src/operators/plan';
import { untilCancelled } from '../../src/operators/until-cancelled';
import type { CachedAnswer, FusionStrategy, RouteDecision } from '../../src/ports';
import { createRouteBuilder } from '../../src/strategies/route-builder';
import { everyKind } from '../support/every-kind';
import { answersEvent } from '../support/execution-fixtures';
import { aReporter, bottlenecks, defaultExperts, defaultFusion, plannedEvent, systemError, validatedEvent } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

type TestDeps = FinishDeps & { reportSystemError: ReturnType<typeof aReporter>; onEnd: jest.Mock<void, [string]> };

const deps = (overrides: Partial<TestDeps> = {}): TestDeps =>
  ({ bottlenecks, reportSystemError: aReporter(), onEnd: jest.fn<void, [string]>(), ...overrides });

const metricsEvent = (figures: Partial<PipelineMetrics>, requestId = 'r1'): MetricsEvent => ({
  type: 'metrics', requestId,
  metrics: { total: 0, stages: {}, ttft: null, experts: {}, cacheHit: false, degraded: false, bottlenecks: [], ...figures },
});

const timing = (stage: Stage, at: number, ms?: number, fault?: CacheFault): TimingEvent =>
  ({ type: 'timing', requestId: 'r1', stage, at, ...(ms === undefined ? {} : { ms }), ...(fault === undefined ? {} : { fault }) });

const expertsStarted = (at: number, progress: () => readonly ExpertProgress[] = () => []): ExpertsStartedEvent =>
  ({ type: 'experts-started', requestId: 'r1', at, progress });

const expertA: ExpertEvent = { type: 'expert', requestId: 'r1', expertId: 'a', outcome: 'ok', ms: 4, tokens: 2 };

const progressOf = (...experts: Omit<ExpertProgress, 'textSoFar'>[]) => (): readonly ExpertProgress[] =>
  experts.map((expert) => ({ ...expert, textSoFar: () => '' }));

const ev = everyKind();

/** everyKind's events with some replaced or added (typed, so the literals keep their types). */
const withEv = (extra: Record<string, ChainEvent>): Record<string, ChainEvent> => ({ ...ev, ...extra });

describe('finish', () => {
  it('passes events on, then emits metrics and the terminal and completes at the terminal, unsubscribing the source', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-t--C-u-', ev);
      const expected = '   -s-t--(mC|)';
      expectObservable(source.pipe(finish(deps()))).toBe(expected, { ...ev, m: metricsEvent({ total: 6, ttft: 3 }) });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it.each([['complete', 'C'], ['error', 'E'], ['cancelled', 'X']])('ends with metrics then the same %s event it received', (_kind, letter) => {
    const out: PipelineEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const result = cold(`--${letter}`, ev).pipe(finish(deps()), tap((event) => out.push(event)));
      expectObservable(result).toBe(`--(m${letter}|)`, { ...ev, m: metricsEvent({ total: 2 }) });
    });
    expect(out[1]).toBe(ev[letter]);
  });

  it('calls onEnd once, with the request id, before it emits metrics and the terminal', () => {
    const log: string[] = [];
    const d = deps({ onEnd: jest.fn((requestId: string) => { log.push(`onEnd ${requestId}`); }) });
    newScheduler().run(({ cold, flush }) => {
      cold('-s-C-E', ev).pipe(finish(d)).subscribe({ next: (event) => log.push(event.type), complete: () => log.push('|') });
      flush();
    });
    expect(log).toEqual(['start', 'onEnd r1', 'metrics', 'complete', '|']);
  });

  it('folds the stage timings into the metrics, a stage timed twice added up, with the cache fault', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('sabcd---E', withEv({ a: timing('validation', 0, 1), b: timing('routing', 1, 2), c: timing('cache', 3, 3, 'timeout'), d: timing('routing', 5, 1) }));
      const expected = '   s-------(mE|)';
      expectObservable(source.pipe(finish(deps()))).toBe(expected, {
        ...ev, m: metricsEvent({ total: 8, stages: { validation: 1, routing: 3, cache: 3 }, cacheFault: 'timeout' }),
      });
    });
  });

  it('counts a stage still running up to the terminal: execution from experts-started, a timing without ms from its start', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('s-S-f--X', withEv({ S: expertsStarted(2), f: timing('fusion', 4) }));
      const expected = '   s------(mX|)';
      expectObservable(source.pipe(finish(deps()))).toBe(expected, {
        ...ev, m: metricsEvent({ total: 7, stages: { execution: 5, fusion: 3 }, bottlenecks: ['execution'] }),
      });
    });
  });

  it('stops counting execution at its timing', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('s-S--T--C', withEv({ S: expertsStarted(2), T: timing('execution', 2, 3) }));
      expectObservable(source.pipe(finish(deps()))).toBe('s-------(mC|)', {
        ...ev, m: metricsEvent({ total: 8, stages: { execution: 3 } }),
      });
    });
  });

  it('gives each planned expert its figures: how it ended from its expert event, or from its progress (cancelled) while running', () => {
    const progress = progressOf(
      { expertId: 'a', attempts: 1, tokens: 2, firstTokenAt: 3 },
      { expertId: 'b', attempts: 2, tokens: 1, firstTokenAt: 4 },
    );
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('spS---x--X', withEv({ S: expertsStarted(2, progress), x: expertA }));
      const expected = '   sp----x--(mX|)';
      expectObservable(source.pipe(finish(deps()))).toBe(expected, {
        ...ev, x: expertA,
        m: metricsEvent({
          total: 9,
          stages: { execution: 7 },
          experts: {
            a: { ttft: 1, ms: 4, tokens: 2, attempts: 1, outcome: 'ok' },
            b: { ttft: 2, ms: 7, tokens: 1, attempts: 2, outcome: 'cancelled' },
          },
          bottlenecks: ['execution'],
        }),
      });
    });
  });

  it('reads the experts\' progress at the terminal, not when execution started', () => {
    let tokens = 0;
    const progress = (): readonly ExpertProgress[] =>
      [{ expertId: 'a', attempts: 1, tokens, firstTokenAt: tokens === 0 ? undefined : 1, textSoFar: () => '' }];
    const planOfA: PlanEvent = {
      type: 'plan', requestId: 'r1', plan: { id: 'p', intent: 'chat', tasks: [{ expertId: 'a', model: 'm', version: '1' }], fusion: { id: 'best', version: '1' } },
    };
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('pS--X', withEv({ p: planOfA, S: expertsStarted(1, progress) }));
      asyncScheduler.schedule(() => { tokens = 3; }, 2);
      expectObservable(source.pipe(finish(deps()))).toBe('p---(mX|)', {
        p: planOfA, X: ev.X,
        m: metricsEvent({ total: 4, stages: { execution: 3 }, experts: { a: { ttft: 0, ms: 3, tokens: 3, attempts: 1, outcome: 'cancelled' } }, bottlenecks: ['execution'] }),
      });
    });
  });

  it('gives no expert figures when execution never started (a cache hit)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('spc-C', withEv({ c: { type: 'cache', requestId: 'r1', hit: true, key: 'k' } }));
      expectObservable(source.pipe(finish(deps()))).toBe('spc-(mC|)', {
        ...ev, c: { type: 'cache', requestId: 'r1', hit: true, key: 'k' }, m: metricsEvent({ total: 4, cacheHit: true }),
      });
    });
  });

  it('measures from the start event\'s time and takes ttft from the first token reaching it', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('--s--t-t-t-C', withEv({ s: { type: 'start', requestId: 'r1', at: 1 } }));
      expectObservable(source.pipe(finish(deps()))).toBe('--s--t-t-t-(mC|)', {
        ...ev, s: { type: 'start', requestId: 'r1', at: 1 }, m: metricsEvent({ total: 10, ttft: 4 }),
      });
    });
  });

  it('measures from its own subscription when no start event came, and reports a null ttft when no token did', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-u-E', ev).pipe(finish(deps())), '--^').toBe('---u-(mE|)', { ...ev, m: metricsEvent({ total: 3 }) });
    });
  });

  it('marks the metrics degraded from a degraded complete', () => {
    const degraded = { ...ev.C, degraded: true };
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('s-C', withEv({ C: degraded })).pipe(finish(deps()))).toBe('s-(mC|)', { ...ev, C: degraded, m: metricsEvent({ total: 2, degraded: true }) });
    });
  });

  it('names the bottlenecks by its rules', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('sa----------C', withEv({ a: timing('cache', 0, 3) }));
      expectObservable(source.pipe(finish(deps({ bottlenecks: { ...bottlenecks, budgets: { cache: 2 } } })))).toBe('s-----------(mC|)', {
        ...ev, m: metricsEvent({ total: 12, stages: { cache: 3 }, bottlenecks: ['cache'] }),
      });
    });
  });

  it('drops every event after the terminal and unsubscribes the source at it', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-s-C-t-u-E-q-|', ev);
      expectObservable(source.pipe(finish(deps()))).toBe('-s-(mC|)', { ...ev, m: metricsEvent({ total: 3 }) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('ignores, and reports nothing about, what a synchronous source emits after the terminal, its end included', () => {
    const d = deps();
    newScheduler().run(({ expectObservable }) => {
      const source: Observable<ChainEvent> = of(ev.s!, ev.C!, ev.t!, ev.q!, ev.E!);
      expectObservable(source.pipe(finish(d))).toBe('(smC|)', { ...ev, m: metricsEvent({}) });
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
    expect(d.onEnd).toHaveBeenCalledTimes(1);
  });

  it('turns a source error into a reported system error event, after metrics, calling onEnd', () => {
    const boom = new Error('operator crashed');
    const d = deps();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-#', ev, boom).pipe(finish(d))).toBe('-s-(me|)', { ...ev, m: metricsEvent({ total: 3 }), e: systemError('system') });
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(boom, { requestId: 'r1', stage: 'pipeline' });
    expect(d.onEnd.mock.calls).toEqual([['r1']]);
  });

  it('turns a source that completes with no terminal into a reported system error event', () => {
    const d = deps();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-t-|', ev).pipe(finish(d))).toBe('-s-t-(me|)', { ...ev, m: metricsEvent({ total: 5, ttft: 3 }), e: systemError('system') });
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'the chain ended without a terminal event' }), { requestId: 'r1', stage: 'pipeline' });
  });

  it.each([['request', 'q'], ['validated', 'v'], ['planned', 'P'], ['execute', 'e'], ['answers', 'A'], ['answer', 'a'], ['guarded', 'g']])(
    'turns a %s hand-off that reaches it into a reported system error event and stops the source',
    (type, letter) => {
      const d = deps();
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(`-s-${letter}---C`, ev);
        expectObservable(source.pipe(finish(d))).toBe('-s-(mE|)', { ...ev, m: metricsEvent({ total: 3 }), E: systemError('system') });
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ message: `internal hand-off "${type}" reached the end of the chain` }), { requestId: 'r1', stage: 'pipeline' });
    },
  );

  it('emits nothing more, reports nothing and calls no onEnd when unsubscribed before a terminal', () => {
    const d = deps();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-----C', ev);
      const unsub = '      ^--!';
      expectObservable(source.pipe(finish(d)), unsub).toBe('-s-', ev);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
    expect(d.onEnd).not.toHaveBeenCalled();
  });

  it('passes every non-terminal public event through as the same object, and drops the timing and experts-started facts', () => {
    const seen: PipelineEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('spcSTtrxuC', ev);
      // everyKind's experts-started is at 0 with no progress to read; its plan names experts a and b; its expert event ends a.
      const m = metricsEvent({ total: 9, ttft: 5, stages: { cache: 1, execution: 9 }, experts: {
        a: { ttft: null, ms: 3, tokens: 1, attempts: 0, outcome: 'ok' },
        b: { ttft: null, ms: 9, tokens: 0, attempts: 0, outcome: 'cancelled' },
      }, bottlenecks: ['execution', 'expert:b'] });
      expectObservable(source.pipe(finish(deps()), tap((event) => seen.push(event)))).toBe('spc--trxu(mC|)', { ...ev, m });
    });
    'spctrxu'.split('').forEach((letter, i) => expect(seen[i]).toBe(ev[letter]));
  });

  describe('with a stage cancelled while its asynchronous work runs', () => {
    type Chain = OperatorFunction<ChainEvent, ChainEvent>;
    /** A stage whose work (built inside run()) settles 10 ms after it starts, with the event that starts it. */
    const STAGES: [Stage, (work: () => Observable<never>) => { stage: Chain; trigger: ChainEvent }][] = [
      ['routing', (work) => ({
        stage: plan({ router: { route: () => work() as Observable<RouteDecision> }, buildRoute: createRouteBuilder(defaultExperts, defaultFusion), experts: () => [] }),
        trigger: validatedEvent(),
      })],
      ['cache', (work) => ({
        stage: cacheLookup({ cache: { get: () => work() as Observable<CachedAnswer>, set: () => EMPTY, close: () => Promise.resolve() }, guardVersion: 'g', timeoutMs: 100 }),
        trigger: plannedEvent(),
      })],
      ['fusion', (work) => {
        const fusion: FusionStrategy = { id: 'slow', version: '1', orderSensitive: true, mode: 'generate', fuse: () => work() };
        return { stage: fuse(), trigger: answersEvent(fusion, [{ expertId: 'A', text: 'alpha', ms: 1, tokens: 1 }]) };
      }],
    ];
    const FORMS: [string, (body: Observable<ChainEvent>) => Observable<ChainEvent>][] = [
      ['fused', (body) => body],
      ['unfused (a map in the body)', (body) => body.pipe(map((event) => event))],
    ];
    const cancelled: CancelledEvent = { type: 'cancelled', requestId: 'r1', reason: 'stop' };

    describe.each(FORMS)('%s', (_form, form) => {
      it.each(STAGES)('counts %s from its start up to the cancel, and stops its work then', (stage, build) => {
        newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
          const work = cold<never>('10ms |');
          const { stage: operator, trigger } = build(() => work);
          const source = cold('s-x', { s: ev.s!, x: trigger });
          const cancel$ = hot('  -----r', { r: 'stop' });
          expectObservable(form(source.pipe(operator)).pipe(untilCancelled(cancel$, 'r1'), finish(deps()))).toBe('s----(mK|)', {
            s: ev.s, K: cancelled, m: metricsEvent({ total: 5, stages: { [stage]: 3 }, bottlenecks: [stage] }),
          });
          expectSubscriptions(work.subscriptions).toBe('--^--!');
        });
      });
    });
  });
});
