import { EMPTY, of, throwError, type Observable } from 'rxjs';
import type { PlannedEvent, TimingEvent } from '../../src/chain-events';
import type { PlanEvent } from '../../src/events';
import { plan, type PlanDeps } from '../../src/operators/plan';
import type { ExpertStatus, RouteDecision, RouteInput, Router } from '../../src/ports';
import { createRouteBuilder } from '../../src/strategies/route-builder';
import { everyKind, expectPassThrough } from '../support/every-kind';
import { manualClock } from '../support/manual-clock';
import { aReporter, anExpert, aRequest, defaultExperts, defaultFusion, registry, routeFor, systemError, validatedEvent } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const health: ExpertStatus[] = [
  { id: 'a', model: 'model-a', version: '1', healthy: true },
  { id: 'b', model: 'model-b', version: '1', healthy: false },
];

type TestPlanDeps = PlanDeps & { reportSystemError: ReturnType<typeof aReporter> };

const deps = (router: Router, overrides: Partial<Omit<TestPlanDeps, 'router'>> = {}): TestPlanDeps => ({
  router,
  buildRoute: createRouteBuilder(defaultExperts, defaultFusion),
  experts: () => health,
  reportSystemError: aReporter(),
  ...overrides,
});

const routeTo = (decision: RouteDecision | Observable<RouteDecision>): Router => ({ route: () => decision });

const chat: RouteDecision = { intent: 'chat', expertIds: ['a', 'b'] };

const timing = (at: number, ms: number): TimingEvent => ({ type: 'timing', requestId: 'r1', stage: 'routing', at, ms });

/** The routing timing without `ms`: routing started at `at` and is still running. */
const routing = (at: number): TimingEvent => ({ type: 'timing', requestId: 'r1', stage: 'routing', at });

/** The plan event a fresh route builder gives for `decision` (plan ids are deterministic). */
const planEvent = (decision: RouteDecision = chat): PlanEvent => ({ type: 'plan', requestId: 'r1', plan: routeFor(decision).plan });

const planned = (decision: RouteDecision = chat): PlannedEvent => ({ type: 'planned', requestId: 'r1', request: aRequest(), route: routeFor(decision) });

const validated = { v: validatedEvent() };

describe('plan', () => {
  it('emits the routing timing, the plan event and the planned hand-off at once for a synchronous router', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('(v|)', validated);
      expectObservable(source.pipe(plan(deps(routeTo(chat))))).toBe('(TpP|)', { T: timing(0, 0), p: planEvent(), P: planned() });
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
    expect(routeFor(chat).plan).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      intent: 'chat',
      tasks: [{ expertId: 'a', model: 'model-a', version: '1' }, { expertId: 'b', model: 'model-b', version: '1' }],
      fusion: { id: 'best', version: '1' },
    });
  });

  it('puts the very plan of the planned route in the plan event, and hands on the route with its experts and fusion', () => {
    const out: (PlanEvent | PlannedEvent)[] = [];
    newScheduler().run(({ cold, flush }) => {
      cold('v|', validated).pipe(plan(deps(routeTo(chat)))).subscribe((event) => {
        if (event.type === 'plan' || event.type === 'planned') out.push(event);
      });
      flush();
    });
    const [shown, handed] = out;
    if (shown?.type !== 'plan' || handed?.type !== 'planned') throw new Error(`expected plan then planned, got ${out.map((e) => e.type).join(', ')}`);
    expect(shown.plan).toBe(handed.route.plan);
    expect(handed.route.experts).toEqual([defaultExperts.get('a')?.expert, defaultExperts.get('b')?.expert]);
    expect(handed.route.fusion).toBe(defaultFusion);
  });

  it('times a synchronous router on the scheduler\'s clock', () => {
    const clock = manualClock(5);
    const router: Router = {
      route: () => {
        clock.advance(3);
        return chat;
      },
    };
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(v|)', validated).pipe(plan(deps(router), clock.scheduler)))
        .toBe('(TpP|)', { T: timing(5, 3), p: planEvent(), P: planned() });
    });
  });

  it('waits for an Observable router, saying at once that routing runs, and times it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('   (v|)', validated);
      const decision$ = cold('--d|', { d: chat });
      const expected = '      R-(TpP|)';
      expectObservable(source.pipe(plan(deps(routeTo(decision$))))).toBe(expected, { R: routing(0), T: timing(0, 2), p: planEvent(), P: planned() });
      expectSubscriptions(decision$.subscriptions).toBe('^-!');
    });
  });

  it('stamps the running routing timing with the frame routing started at', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('   --v|', validated);
      const decision$ = cold('  ---d|', { d: chat });
      expectObservable(source.pipe(plan(deps(routeTo(decision$))))).toBe('--R--(TpP|)', { R: routing(2), T: timing(2, 3), p: planEvent(), P: planned() });
    });
  });

  it('emits no running routing timing when an Observable router decides, errors or completes synchronously', () => {
    const boom = new Error('router refused');
    const reportSystemError = aReporter();
    newScheduler().run(({ cold, expectObservable }) => {
      const at = (router: Observable<RouteDecision>) => cold('(v|)', validated).pipe(plan(deps(routeTo(router), { reportSystemError })));
      expectObservable(at(of(chat, { intent: 'code', expertIds: ['b'] }))).toBe('(TpP|)', { T: timing(0, 0), p: planEvent(), P: planned() });
      expectObservable(at(throwError(() => boom))).toBe('(Te|)', { T: timing(0, 0), e: systemError('system') });
      expectObservable(at(EMPTY)).toBe('(Te|)', { T: timing(0, 0), e: systemError('system') });
    });
    expect(reportSystemError.mock.calls.map(([error]) => error)).toEqual([boom, expect.objectContaining({ message: 'router completed without a decision' })]);
  });

  it('takes the first decision of an Observable router and unsubscribes it then', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const decision$ = cold('-d--o|', { d: chat, o: { intent: 'code', expertIds: ['b'] } });
      expectObservable(cold('(v|)', validated).pipe(plan(deps(routeTo(decision$)))))
        .toBe('R(TpP|)', { R: routing(0), T: timing(0, 1), p: planEvent(), P: planned() });
      expectSubscriptions(decision$.subscriptions).toBe('^!');
    });
  });

  it('passes other events through while an Observable router decides', () => {
    const ev = everyKind();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('   v-s-------t|', { v: validatedEvent(), s: ev.s, t: ev.t });
      const decision$ = cold('---d|', { d: chat });
      const expected = '      R-s(TpP)--t|';
      expectObservable(source.pipe(plan(deps(routeTo(decision$))))).toBe(expected, { s: ev.s, t: ev.t, R: routing(0), T: timing(0, 3), p: planEvent(), P: planned() });
    });
  });

  it('shows the plan\'s flagged prompt-injection heuristics in its metadata, and hands on the plain route', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const flagged = validatedEvent({}, ['ignore-instructions']);
      expectObservable(cold('(v|)', { v: flagged }).pipe(plan(deps(routeTo(chat))))).toBe('(TpP|)', {
        T: timing(0, 0),
        p: { type: 'plan', requestId: 'r1', plan: { ...routeFor(chat).plan, metadata: { injection: ['ignore-instructions'] } } },
        P: planned(),
      });
    });
  });

  it('emits the timing and a no-experts error, and reports it, when the router chooses no expert', () => {
    const d = deps(routeTo({ intent: 'chat', expertIds: [] }));
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('(Te|)', { T: timing(0, 0), e: systemError('no-experts') });
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(expect.any(Error), { requestId: 'r1', stage: 'routing' });
  });

  it('emits a no-experts error when an Observable router chooses no expert', () => {
    const reportSystemError = aReporter();
    newScheduler().run(({ cold, expectObservable }) => {
      const d = deps(routeTo(cold('-d|', { d: { intent: 'chat', expertIds: [] } })), { reportSystemError });
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('R(Te|)', { R: routing(0), T: timing(0, 1), e: systemError('no-experts') });
    });
    expect(reportSystemError).toHaveBeenCalledTimes(1);
  });

  it('emits the timing and a system error, and reports the thrown error, when the router throws', () => {
    const boom = new Error('router crashed');
    const d = deps({ route: () => { throw boom; } });
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('(Te|)', { T: timing(0, 0), e: systemError('system') });
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(boom, { requestId: 'r1', stage: 'routing' });
  });

  it('emits a system error when the router names an unknown expert', () => {
    const d = deps(routeTo({ intent: 'chat', expertIds: ['a', 'zz'] }));
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('(Te|)', { T: timing(0, 0), e: systemError('system') });
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringContaining('"zz"') }), { requestId: 'r1', stage: 'routing' });
  });

  it('emits a system error when an Observable router names an unknown expert', () => {
    const reportSystemError = aReporter();
    newScheduler().run(({ cold, expectObservable }) => {
      const d = deps(routeTo(cold('--d|', { d: { intent: 'chat', expertIds: ['zz'] } })), { reportSystemError });
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('R-(Te|)', { R: routing(0), T: timing(0, 2), e: systemError('system') });
    });
    expect(reportSystemError).toHaveBeenCalledTimes(1);
  });

  it('emits a system error at the frame an Observable router errors, timed to the error', () => {
    const boom = new Error('router service down');
    const reportSystemError = aReporter();
    newScheduler().run(({ cold, expectObservable }) => {
      const d = deps(routeTo(cold<RouteDecision>('---#', undefined, boom)), { reportSystemError });
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('R--(Te|)', { R: routing(0), T: timing(0, 3), e: systemError('system') });
    });
    expect(reportSystemError).toHaveBeenCalledWith(boom, { requestId: 'r1', stage: 'routing' });
  });

  it('emits a system error when an Observable router completes without a decision', () => {
    const reportSystemError = aReporter();
    newScheduler().run(({ cold, expectObservable }) => {
      const d = deps(routeTo(cold<RouteDecision>('--|')), { reportSystemError });
      expectObservable(cold('(v|)', validated).pipe(plan(d))).toBe('R-(Te|)', { R: routing(0), T: timing(0, 2), e: systemError('system') });
    });
    expect(reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'router completed without a decision' }), { requestId: 'r1', stage: 'routing' });
  });

  it('shows the router the request id, prompt, conversation, scope, the experts\' health and the load', () => {
    const inputs: RouteInput[] = [];
    const router: Router = { route: (input) => { inputs.push(input); return chat; } };
    const load = { inFlight: 3, maxConcurrent: 4, shedExpertsAbove: 2 };
    const messages = [{ role: 'system' as const, content: 'You summarise.' }, { role: 'user' as const, content: 'Summarise this' }];
    newScheduler().run(({ cold, flush }) => {
      cold('v|', { v: validatedEvent({ prompt: 'Summarise this', messages, scope: 'tenant-1' }) }).pipe(plan(deps(router, { load: () => load }))).subscribe();
      flush();
    });
    expect(inputs).toEqual([{ requestId: 'r1', prompt: 'Summarise this', messages, scope: 'tenant-1', experts: health, load }]);
  });

  it('shows the router no load and no limits when none is given', () => {
    const inputs: RouteInput[] = [];
    newScheduler().run(({ cold, flush }) => {
      cold('v|', validated).pipe(plan(deps({ route: (input) => { inputs.push(input); return chat; } }))).subscribe();
      flush();
    });
    expect(inputs[0]?.load).toEqual({ inFlight: 0, maxConcurrent: Infinity, shedExpertsAbove: Infinity });
  });

  it('gives the same plan id for the same decision and a different one for a different expert set or order', () => {
    const experts = registry(anExpert('a'), anExpert('b'), anExpert('c'));
    const decisions: RouteDecision[] = [
      chat, chat, { intent: 'chat', expertIds: ['a'] }, { intent: 'chat', expertIds: ['b', 'a'] }, { intent: 'chat', expertIds: ['a', 'c'] },
    ];
    let next = 0;
    const ids: string[] = [];
    newScheduler().run(({ cold, flush }) => {
      const d = deps({ route: () => decisions[next++]! }, { buildRoute: createRouteBuilder(experts, defaultFusion) });
      cold('abcde|', { a: validatedEvent(), b: validatedEvent(), c: validatedEvent(), d: validatedEvent(), e: validatedEvent() })
        .pipe(plan(d)).subscribe((event) => { if (event.type === 'plan') ids.push(event.plan.id); });
      flush();
    });
    expect(ids).toHaveLength(5);
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids).size).toBe(4);
    expect(createRouteBuilder(experts, defaultFusion)(chat).plan.id).toBe(ids[0]);
  });

  it('unsubscribes a pending Observable router when the stream is unsubscribed, with no event after the running timing and no report', () => {
    const reportSystemError = aReporter();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('   v----', validated);
      const decision$ = cold('------d|', { d: chat });
      const unsub = '         ^--!';
      expectObservable(source.pipe(plan(deps(routeTo(decision$), { reportSystemError }))), unsub).toBe('R--', { R: routing(0) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(decision$.subscriptions).toBe('^--!');
    });
    expect(reportSystemError).not.toHaveBeenCalled();
  });

  it('passes every other kind through as the same object, without asking the router', () => {
    const route = jest.fn(() => chat);
    expectPassThrough(plan(deps({ route })), 'v');
    expect(route).not.toHaveBeenCalled();
  });
});
