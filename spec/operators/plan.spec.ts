import { asyncScheduler, tap, type Observable } from 'rxjs';
import type { ErrorEvent, PlanEvent } from '../../src/events';
import { plan, type PlanDeps } from '../../src/operators/plan';
import type { Job } from '../../src/pipeline/job';
import { createRouteBuilder } from '../../src/pipeline/route-builder';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import type { RouteDecision, RouteInput, Router } from '../../src/ports';
import { aFusion, aReporter, anExpert, defaultExperts, everyKind, lettersExcept, limits, registry, validatedJob } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';
import { createCircuitBreakers } from '../../src/strategies/circuit-breaker';

const fusion = aFusion();

const deps = (router: Router, overrides: Partial<PlanDeps> = {}): PlanDeps => ({
  clock: asyncScheduler,
  router,
  experts: defaultExperts,
  breakers: createCircuitBreakers([], { failureThreshold: 1, cooldownMs: 1000 }, () => 0),
  inFlight: () => 0,
  limits,
  reportSystemError: aReporter(),
  buildRoute: createRouteBuilder(defaultExperts, fusion),
  ...overrides,
});

/** Breakers where the given experts have failed once with threshold 1 (open). */
const breakersWithOpen = (...ids: string[]) => {
  const breakers = createCircuitBreakers(ids, { failureThreshold: 1, cooldownMs: 1000 }, () => 0);
  ids.forEach((id) => breakers.failed(id));
  return breakers;
};

const routeTo = (decision: RouteDecision | Observable<RouteDecision>): Router => ({ route: () => decision });

/** The plan event a fresh route builder gives for `decision` (plan ids are deterministic). */
const planEvent = (job: Job, decision: RouteDecision): PlanEvent =>
  ({ type: 'plan', requestId: job.requestId, plan: createRouteBuilder(defaultExperts, fusion)(decision).plan });

const systemError = (job: Job, kind: 'system' | 'no-experts'): ErrorEvent => ({
  type: 'error', requestId: job.requestId,
  error: {
    kind,
    message: kind === 'system' ? 'The request could not be completed. Please try again later.' : 'No experts are available for this request right now.',
    user: false,
  },
});

const chat: RouteDecision = { intent: 'chat', expertIds: ['a', 'b'] };

describe('plan', () => {
  it('emits the plan event and the planned hand-off at once for a synchronous router', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = validatedJob();
      const source = cold('(v|)', { v: handoff('validated', job) });
      expectObservable(source.pipe(plan(deps(routeTo(chat))))).toBe('(pP|)', { p: planEvent(job, chat), P: handoff('planned', job) });
      expectSubscriptions(source.subscriptions).toBe('(^!)');
      flush();
      expect(job.route?.plan).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        intent: 'chat',
        tasks: [{ expertId: 'a', model: 'model-a', version: '1' }, { expertId: 'b', model: 'model-b', version: '1' }],
        fusion: { id: 'best', version: '1' },
      });
      expect(job.route?.experts).toEqual([defaultExperts.get('a')?.expert, defaultExperts.get('b')?.expert]);
      expect(job.route?.fusion).toBe(fusion);
    });
  });

  it('puts the very plan of job.route in the plan event', () => {
    newScheduler().run(({ cold, flush }) => {
      const job = validatedJob();
      const out: StageEvent[] = [];
      cold('v|', { v: handoff('validated', job) }).pipe(plan(deps(routeTo(chat)))).subscribe((event) => out.push(event));
      flush();
      expect(out[0].type === 'plan' && out[0].plan).toBe(job.route?.plan);
    });
  });

  it('records the time a synchronous router took as the routing stage', () => {
    let now = 0;
    const router: Router = {
      route: () => {
        now += 3;
        return chat;
      },
    };
    newScheduler().run(({ cold, flush }) => {
      const job = validatedJob();
      cold('v|', { v: handoff('validated', job) }).pipe(plan(deps(router, { clock: { now: () => now } }))).subscribe();
      flush();
      expect(job.metrics.stages).toEqual({ routing: 3 });
    });
  });

  it('waits for an Observable router and records its time as the routing stage', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = validatedJob();
      const source = cold('   (v|)', { v: handoff('validated', job) });
      const decision$ = cold('--d|', { d: chat });
      const expected = '      --(pP|)';
      expectObservable(source.pipe(plan(deps(routeTo(decision$))))).toBe(expected, { p: planEvent(job, chat), P: handoff('planned', job) });
      expectSubscriptions(decision$.subscriptions).toBe('^-!');
      flush();
      expect(job.metrics.stages).toEqual({ routing: 2 });
    });
  });

  it('takes the first decision of an Observable router and unsubscribes it then', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const job = validatedJob();
      const other: RouteDecision = { intent: 'code', expertIds: ['b'] };
      const decision$ = cold('-d--o|', { d: chat, o: other });
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(deps(routeTo(decision$)))))
        .toBe('-(pP|)', { p: planEvent(job, chat), P: handoff('planned', job) });
      expectSubscriptions(decision$.subscriptions).toBe('^!');
    });
  });

  it('passes other events through while an Observable router decides', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = validatedJob();
      const ev = everyKind(job);
      const source = cold('   v-s-----t|', { v: handoff('validated', job), s: ev.s, t: ev.t });
      const decision$ = cold('---d|', { d: chat });
      expectObservable(source.pipe(plan(deps(routeTo(decision$)))))
        .toBe('--s(pP)-t|', { s: ev.s, t: ev.t, p: planEvent(job, chat), P: handoff('planned', job) });
    });
  });

  it('emits a no-experts error and reports it when the router chooses no expert', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const d = deps(routeTo({ intent: 'chat', expertIds: [] }));
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('(e|)', { e: systemError(job, 'no-experts') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(expect.any(Error), { requestId: 'r1', stage: 'routing' });
      expect(job.route).toBeUndefined();
    });
  });

  it('emits a no-experts error when an Observable router chooses no expert', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const d = deps(routeTo(cold('-d|', { d: { intent: 'chat', expertIds: [] } })));
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('-(e|)', { e: systemError(job, 'no-experts') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    });
  });

  it('emits a system error and reports the thrown error when the router throws', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const boom = new Error('router crashed');
      const d = deps({ route: () => { throw boom; } });
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('(e|)', { e: systemError(job, 'system') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledWith(boom, { requestId: 'r1', stage: 'routing' });
      expect(job.route).toBeUndefined();
    });
  });

  it('emits a system error when the router names an unknown expert', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const d = deps(routeTo({ intent: 'chat', expertIds: ['a', 'zz'] }));
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('(e|)', { e: systemError(job, 'system') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ message: expect.stringContaining('"zz"') }), { requestId: 'r1', stage: 'routing' });
      expect(job.route).toBeUndefined();
    });
  });

  it('emits a system error when an Observable router names an unknown expert', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const d = deps(routeTo(cold('--d|', { d: { intent: 'chat', expertIds: ['zz'] } })));
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('--(e|)', { e: systemError(job, 'system') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    });
  });

  it('emits a system error at the frame an Observable router errors, and records the routing time', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const boom = new Error('router service down');
      const decision$ = cold<RouteDecision>('---#', undefined, boom);
      const d = deps(routeTo(decision$));
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('---(e|)', { e: systemError(job, 'system') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledWith(boom, { requestId: 'r1', stage: 'routing' });
      expect(job.metrics.stages).toEqual({ routing: 3 });
    });
  });

  it('emits a system error when an Observable router completes without a decision', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const d = deps(routeTo(cold<RouteDecision>('--|')));
      expectObservable(cold('(v|)', { v: handoff('validated', job) }).pipe(plan(d))).toBe('--(e|)', { e: systemError(job, 'system') });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    });
  });

  it('shows the router the prompt, scope, load and expert health, unhealthy experts as healthy: false', () => {
    newScheduler().run(({ cold, flush }) => {
      const job = validatedJob({ prompt: 'Summarise this', scope: 'tenant-1' });
      const inputs: RouteInput[] = [];
      const router: Router = { route: (input) => { inputs.push(input); return chat; } };
      cold('v|', { v: handoff('validated', job) }).pipe(plan(deps(router, { breakers: breakersWithOpen('b'), inFlight: () => 3 }))).subscribe();
      flush();
      expect(inputs).toEqual([{
        requestId: 'r1',
        prompt: 'Summarise this',
        scope: 'tenant-1',
        experts: [
          { id: 'a', model: 'model-a', version: '1', healthy: true },
          { id: 'b', model: 'model-b', version: '1', healthy: false },
        ],
        load: { inFlight: 3, maxConcurrent: limits.maxConcurrent, shedExpertsAbove: Infinity },
      }]);
    });
  });

  it('gives the same plan id for the same decision and a different one for a different expert set or order', () => {
    newScheduler().run(({ cold, flush }) => {
      const experts = registry(anExpert('a'), anExpert('b'), anExpert('c'));
      const decisions: RouteDecision[] = [
        chat, chat, { intent: 'chat', expertIds: ['a'] }, { intent: 'chat', expertIds: ['b', 'a'] }, { intent: 'chat', expertIds: ['a', 'c'] },
      ];
      const jobs = decisions.map(() => validatedJob());
      let next = 0;
      const d = deps({ route: () => decisions[next++] }, { experts, buildRoute: createRouteBuilder(experts, fusion) });
      const source = cold('abcde|', { a: handoff('validated', jobs[0]), b: handoff('validated', jobs[1]), c: handoff('validated', jobs[2]),
        d: handoff('validated', jobs[3]), e: handoff('validated', jobs[4]) });
      const ids: string[] = [];
      source.pipe(plan(d)).subscribe((event) => { if (event.type === 'plan') ids.push(event.plan.id); });
      flush();
      expect(ids).toHaveLength(5);
      expect(ids[1]).toBe(ids[0]);
      expect(new Set(ids).size).toBe(4);
      const again = validatedJob();
      cold('v|', { v: handoff('validated', again) })
        .pipe(plan(deps(routeTo(chat), { experts, buildRoute: createRouteBuilder(experts, fusion) }))).subscribe();
      flush();
      expect(again.route?.plan.id).toBe(ids[0]);
    });
  });

  it('unsubscribes a pending Observable router when the stream is unsubscribed', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const job = validatedJob();
      const source = cold('   v----', { v: handoff('validated', job) });
      const decision$ = cold('------d|', { d: chat });
      const unsub = '         ^--!';
      expectObservable(source.pipe(plan(deps(routeTo(decision$)))), unsub).toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(decision$.subscriptions).toBe('^--!');
    });
  });

  it('passes every other kind through as the same object', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const ev = everyKind(validatedJob());
      const letters = lettersExcept('v');
      const source: Observable<StageEvent> = cold(`${letters}|`, ev);
      const route = jest.fn(() => chat);
      const seen: StageEvent[] = [];
      expectObservable(source.pipe(plan(deps({ route })), tap((event) => seen.push(event)))).toBe(`${letters}|`, ev);
      flush();
      expect(route).not.toHaveBeenCalled();
      expect(seen).toHaveLength(letters.length);
      seen.forEach((event, i) => expect(event).toBe(ev[letters[i]]));
    });
  });
});
