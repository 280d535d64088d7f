import { NEVER, Observable, asyncScheduler, map, pipe, type OperatorFunction } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import type { AnswerEvent, ChainEvent, ExecuteEvent, TimingEvent } from '../../src/chain-events';
import type { ExpertEvent, MetricsEvent, PipelineEvent, TokenEvent } from '../../src/events';
import type { PipelineMetrics } from '../../src/metrics';
import { fanOutExperts } from '../../src/operators/fan-out-experts';
import { finish } from '../../src/operators/finish';
import { fuse } from '../../src/operators/fuse';
import { singleFlight, type SingleFlightOptions } from '../../src/operators/single-flight';
import { staged } from '../../src/operators/staged';
import { untilCancelled } from '../../src/operators/until-cancelled';
import type { Usage } from '../../src/conversation';
import type { Expert, FusionStrategy } from '../../src/ports';
import { expectPassThrough } from '../support/every-kind';
import { executeEvent, executionDeps, fakeExpert, type TestExecutionDeps } from '../support/execution-fixtures';
import { bottlenecks } from '../support/operator-fixtures';
import { newScheduler, pendingTimers, record } from '../support/virtual-time';

/** Fan-out and fusion (best) as the chain composes them, shared by `singleFlight`. */
const sharedExecution = (deps: TestExecutionDeps = executionDeps(), options?: SingleFlightOptions) =>
  singleFlight(pipe(fanOutExperts(deps), fuse({}, asyncScheduler)), options);

/** The `execute` of request `requestId` for `experts`, under cache key `key` (none when null). */
const execute = (experts: readonly Expert[], requestId: string, key: string | null = 'k'): ExecuteEvent =>
  executeEvent(experts, key === null ? { requestId } : { requestId, cacheKey: key });

const started = (requestId: string, at = 0) => ({ type: 'experts-started', requestId, at, progress: expect.any(Function) });
const token = (requestId: string, source: string, text: string): TokenEvent => ({ type: 'token', requestId, source, text });
/** Estimated usage: 'Tell me' is 2 tokens in; 'Hello' and 'World' 2 out each. */
const used = (inputTokens: number, outputTokens: number): Usage => ({ inputTokens, outputTokens, estimated: true });
/** A joiner's usage: the tokens are the owner's (request 'one' in these specs), a joiner spent none. */
const NONE: Usage = { inputTokens: 0, outputTokens: 0, estimated: false };
const usedBy = (requestId: string, usage: Usage): Usage => (requestId === 'one' ? usage : NONE);
const ended = (requestId: string, expertId: string, ms: number, tokens = 2, usage = usedBy(requestId, used(2, 2))): ExpertEvent =>
  ({ type: 'expert', requestId, expertId, outcome: 'ok', ms, tokens, usage });
const timing = (requestId: string, stage: 'execution' | 'fusion', at: number, ms: number): TimingEvent =>
  ({ type: 'timing', requestId, stage, at, ms });
const answer = (requestId: string, text: string, planId: string, key: string | null = 'k', usage = usedBy(requestId, used(2, 2))): AnswerEvent => ({
  type: 'answer', requestId, text, fromCache: false, degraded: false, ...(key === null ? {} : { cacheKey: key }), planId, usage,
});

/** What one request sees of an execution of expert X answering 'Hel' 'lo' at frames 1 and 3 (plan `planId`). */
const helloValues = (requestId: string, planId: string, key: string | null = 'k', owner = requestId === 'one') => ({
  S: started(requestId), a: token(requestId, 'X', 'Hel'), b: token(requestId, 'X', 'lo'),
  E: ended(requestId, 'X', 4, 2, owner ? used(2, 2) : NONE), T: timing(requestId, 'execution', 0, 4), F: timing(requestId, 'fusion', 4, 0),
  n: answer(requestId, 'Hello', planId, key, owner ? used(2, 2) : NONE),
});

/** Records each event with the (virtual) time it arrived. */
const timeline = (events$: Observable<ChainEvent>): [number, ChainEvent][] => {
  const seen: [number, ChainEvent][] = [];
  events$.subscribe((event) => seen.push([asyncScheduler.now(), event]));
  return seen;
};

describe('singleFlight', () => {
  it('runs identical requests in flight once: the experts are subscribed once, each request gets every event with its own requestId', () => {
    const flight = sharedExecution();
    let expert!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('   -a-b|', { a: 'Hel', b: 'lo' });
      expert = fakeExpert('X', [reply]);
      const one = execute([expert], 'one');
      const two = execute([expert], 'two');
      const expected = '     Sa-b(ETFn|)';
      expectObservable(cold('x|', { x: one }).pipe(flight)).toBe(expected, helloValues('one', one.route.plan.id));
      expectObservable(cold('x|', { x: two }).pipe(flight)).toBe(expected, helloValues('two', one.route.plan.id));
      expectSubscriptions(reply.subscriptions).toBe('^---!');
    });
    expect(expert.tasks).toEqual([
      { requestId: 'one', prompt: 'Tell me', messages: [{ role: 'user', content: 'Tell me' }], attempt: 1, reportUsage: expect.any(Function) },
    ]);
  });

  it('passes the first participant\'s events on as they are, and re-stamped copies to the others', () => {
    const fromWork: ChainEvent[] = [];
    const last = staged(({ next }) => (event) => {
      fromWork.push(event);
      next(event);
    });
    const flight = singleFlight(pipe(fanOutExperts(executionDeps()), last));
    const one: ChainEvent[] = [];
    const two: ChainEvent[] = [];
    newScheduler().run(({ cold, flush }) => {
      const expert = fakeExpert('X', [cold('-a|', { a: 'Hi' })]);
      cold('x|', { x: execute([expert], 'one') }).pipe(flight).subscribe((event) => one.push(event));
      cold('x|', { x: execute([expert], 'two') }).pipe(flight).subscribe((event) => two.push(event));
      flush();
    });
    expect(fromWork.map((event) => event.type)).toEqual(['experts-started', 'token', 'expert', 'timing', 'answers']);
    fromWork.forEach((event, i) => {
      expect(one[i]).toBe(event);
      expect(two[i]).not.toBe(event);
      expect(two[i]).toEqual({ ...event, requestId: 'two', ...('usage' in event ? { usage: NONE } : {}) });
    });
  });

  it('catches a late joiner up with experts-started, each expert\'s text so far as ONE token, then the logged events, then live', () => {
    const flight = sharedExecution();
    let one!: [number, ChainEvent][];
    let two!: [number, ChainEvent][];
    let three!: [number, ChainEvent][];
    let planId = '';
    let expertX!: ReturnType<typeof fakeExpert>;
    newScheduler().run(({ cold, flush }) => {
      expertX = fakeExpert('X', [cold('-a-b-----|', { a: 'Hel', b: 'lo' })]);
      const expertY = fakeExpert('Y', [cold('-c---d|', { c: 'Wor', d: 'ld' })]);
      const first = execute([expertX, expertY], 'one');
      planId = first.route.plan.id;
      one = timeline(cold('x|', { x: first }).pipe(flight));
      two = timeline(cold('--x|', { x: execute([expertX, expertY], 'two') }).pipe(flight));
      three = timeline(cold('-------x|', { x: execute([expertX, expertY], 'three') }).pipe(flight));
      flush();
    });
    const end = (id: string): [number, ChainEvent][] => [
      // The owner's answer carries the whole execution's usage (X's and Y's); a joiner's none.
      [9, ended(id, 'X', 9)], [9, timing(id, 'execution', 0, 9)], [9, timing(id, 'fusion', 9, 0)], [9, answer(id, 'Hello', planId, 'k', usedBy(id, used(4, 4)))],
    ];
    expect(one).toEqual([
      [0, started('one')], [1, token('one', 'X', 'Hel')], [1, token('one', 'Y', 'Wor')], [3, token('one', 'X', 'lo')], [5, token('one', 'Y', 'ld')],
      [6, ended('one', 'Y', 6)], ...end('one'),
    ]);
    expect(two).toEqual([
      [2, started('two')], [2, token('two', 'X', 'Hel')], [2, token('two', 'Y', 'Wor')],
      [3, token('two', 'X', 'lo')], [5, token('two', 'Y', 'ld')], [6, ended('two', 'Y', 6)], ...end('two'),
    ]);
    expect(three).toEqual([
      [7, started('three')], [7, token('three', 'X', 'Hello')], [7, token('three', 'Y', 'World')], [7, ended('three', 'Y', 6)], ...end('three'),
    ]);
    expect(expertX.tasks).toHaveLength(1);
  });

  it('lets each participant leave alone: the others get the rest, the experts run on', () => {
    const flight = sharedExecution();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      const one = execute([expert], 'one');
      expectObservable(cold('x|', { x: one }).pipe(flight), '^-!').toBe('Sa', helloValues('one', one.route.plan.id));
      expectObservable(cold('x|', { x: execute([expert], 'two') }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('two', one.route.plan.id));
      expectSubscriptions(reply.subscriptions).toBe('^---!');
    });
  });

  it('stops the work when the last participant leaves, leaving no timer', () => {
    const flight = sharedExecution(executionDeps({ deadlines: { totalMs: 100 } }));
    const scheduler = newScheduler();
    let pending = -1;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a------b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      const one = execute([expert], 'one');
      expectObservable(cold('x|', { x: one }).pipe(flight), '^-!').toBe('Sa', helloValues('one', one.route.plan.id));
      expectObservable(cold('x|', { x: execute([expert], 'two') }).pipe(flight), '^---!').toBe('Sa', helloValues('two', one.route.plan.id));
      expectSubscriptions(reply.subscriptions).toBe('^---!');
      scheduler.schedule(() => { pending = pendingTimers(scheduler); }, 6);
    });
    expect(pending).toBe(0);
  });

  it('starts a new execution for a request that comes after the last one left', () => {
    const flight = sharedExecution();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      expectObservable(cold('x|', { x: execute([expert], 'one') }).pipe(flight), '^-!').toBe('Sa', helloValues('one', ''));
      expectObservable(cold('--x|', { x: execute([expert], 'two') }).pipe(flight)).toBe('--Sa-b(ETFn|)', {
        ...helloValues('two', execute([expert], 'two').route.plan.id, 'k', true),
        S: started('two', 2), E: ended('two', 'X', 4, 2, used(2, 2)), T: timing('two', 'execution', 2, 4), F: timing('two', 'fusion', 6, 0),
      });
      expectSubscriptions(reply.subscriptions).toBe(['^-!', '--^---!']);
    });
  });

  it('starts a new execution for a request that comes after the flight ended', () => {
    const flight = sharedExecution();
    newScheduler().run(({ cold, flush, expectSubscriptions }) => {
      const reply = cold('-a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      cold('x|', { x: execute([expert], 'one') }).pipe(flight).subscribe();
      cold('------x|', { x: execute([expert], 'two') }).pipe(flight).subscribe();
      expectSubscriptions(reply.subscriptions).toBe(['^---!', '------^---!']);
      flush();
    });
  });

  it('runs an execute without a key alone, each with its own experts', () => {
    const flight = sharedExecution();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      const one = execute([expert], 'one', null);
      expectObservable(cold('x|', { x: one }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('one', one.route.plan.id, null));
      expectObservable(cold('x|', { x: execute([expert], 'two', null) }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('two', one.route.plan.id, null, true));
      expectSubscriptions(reply.subscriptions).toBe(['^---!', '^---!']);
    });
  });

  it('runs different keys apart', () => {
    const flight = sharedExecution();
    newScheduler().run(({ cold, flush, expectSubscriptions }) => {
      const reply = cold('-a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      cold('x|', { x: execute([expert], 'one', 'k1') }).pipe(flight).subscribe();
      cold('x|', { x: execute([expert], 'two', 'k2') }).pipe(flight).subscribe();
      expectSubscriptions(reply.subscriptions).toBe(['^---!', '^---!']);
      flush();
    });
  });

  it('fails a participant whose own next stage throws alone; the others and the experts go on', () => {
    const flight = sharedExecution();
    const boom = new Error('participant bug');
    const throwingOnTokens: OperatorFunction<ChainEvent, ChainEvent> = staged(({ next }) => (event) => {
      if (event.type === 'token') throw boom;
      next(event);
    });
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      const one = execute([expert], 'one');
      expectObservable(cold('x|', { x: one }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('one', one.route.plan.id));
      expectObservable(cold('x|', { x: execute([expert], 'two') }).pipe(flight, throwingOnTokens)).toBe('S#', helloValues('two', one.route.plan.id), boom);
      expectSubscriptions(reply.subscriptions).toBe('^---!');
    });
  });

  it('errors every participant when the shared work errors', () => {
    const boom = new Error('stage bug');
    const breaking = staged(({ next }) => (event) => {
      if (event.type === 'token') throw boom;
      next(event);
    });
    const flight = singleFlight(pipe(fanOutExperts(executionDeps()), breaking));
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      expectObservable(cold('x|', { x: execute([expert], 'one') }).pipe(flight)).toBe('S#', helloValues('one', ''), boom);
      expectObservable(cold('x|', { x: execute([expert], 'two') }).pipe(flight)).toBe('S#', helloValues('two', ''), boom);
      expectSubscriptions(reply.subscriptions).toBe('^!');
    });
  });

  it('shares an execution that contains a non-staged operator too', () => {
    const deps = executionDeps();
    const flight = singleFlight(pipe(fanOutExperts(deps), map((event: ChainEvent) => event), fuse({}, asyncScheduler)));
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      const one = execute([expert], 'one');
      expectObservable(cold('x|', { x: one }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('one', one.route.plan.id));
      expectObservable(cold('x|', { x: execute([expert], 'two') }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('two', one.route.plan.id));
      expectSubscriptions(reply.subscriptions).toBe('^---!');
    });
  });

  it('stops taking participants once its log is full: a later identical request runs on its own', () => {
    const flight = sharedExecution(executionDeps(), { maxLogEvents: 0 });
    newScheduler().run(({ cold, flush, expectSubscriptions }) => {
      const x = cold('-a----b|', { a: 'Hel', b: 'lo' });
      const y = cold('--c|', { c: 'Wor' });
      const experts = [fakeExpert('X', [x]), fakeExpert('Y', [y])];
      cold('x|', { x: execute(experts, 'one') }).pipe(flight).subscribe();
      // Y's expert event (frame 3) is the first event the flight would keep: with room for none, it closes to joiners.
      cold('--x|', { x: execute(experts, 'two') }).pipe(flight).subscribe();
      cold('----x|', { x: execute(experts, 'three') }).pipe(flight).subscribe();
      expectSubscriptions(x.subscriptions).toBe(['^------!', '----^------!']);
      flush();
    });
  });

  it('wraps the flight\'s work with coordinate, once per flight, given the key and the first participant\'s execute', () => {
    const calls: [string, ExecuteEvent][] = [];
    const flight = sharedExecution(executionDeps(), {
      coordinate: (key, first, work$) => {
        calls.push([key, first]);
        return work$;
      },
    });
    let one!: ExecuteEvent;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply = cold('  -a-b|', { a: 'Hel', b: 'lo' });
      const expert = fakeExpert('X', [reply]);
      one = execute([expert], 'one');
      expectObservable(cold('x|', { x: one }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('one', one.route.plan.id));
      expectObservable(cold('x|', { x: execute([expert], 'two') }).pipe(flight)).toBe('Sa-b(ETFn|)', helloValues('two', one.route.plan.id));
      expectSubscriptions(reply.subscriptions).toBe('^---!');
    });
    expect(calls).toEqual([['k', one]]);
  });

  it('passes every other kind through as the same object', () => {
    expectPassThrough(sharedExecution(), 'e');
  });

  describe('in a request\'s envelope, with its metrics', () => {
    /** Turns the answer hand-off into `complete`, as the guard would. */
    const completing = staged(({ next }) => (event) => {
      next(event.type === 'answer' ? { type: 'complete', requestId: event.requestId, text: event.text, fromCache: false, degraded: event.degraded } : event);
    });
    /** A selecting strategy answering with `fused()` (built inside run(), on the virtual clock). */
    const slowSelect = (fused: () => Observable<string>): FusionStrategy =>
      ({ id: 'slow-select', version: '1', orderSensitive: true, mode: 'select', fuse: () => fused() });
    /** Request `requestId`: its `start` and `execute` at frame `at`, through the shared flight to its terminal. */
    const request = (
      cold: RunHelpers['cold'], flight: OperatorFunction<ChainEvent, ChainEvent>, experts: readonly Expert[], fusion: FusionStrategy,
      requestId: string, at: number, cancel$: Observable<string> = NEVER,
    ): Observable<PipelineEvent> => {
      const events: Record<string, ChainEvent> = { s: { type: 'start', requestId, at }, x: executeEvent(experts, { requestId, cacheKey: 'k', fusion }) };
      return cold(`${'-'.repeat(at)}(sx)`, events).pipe(flight, completing, untilCancelled(cancel$, requestId), finish({ bottlenecks }));
    };
    const metricsOf = (events: readonly PipelineEvent[]): PipelineMetrics => {
      const found = events.find((event): event is MetricsEvent => event.type === 'metrics');
      if (found === undefined) throw new Error(`no metrics event in ${events.map((event) => event.type).join(', ')}`);
      return found.metrics;
    };
    const stagesTotal = (metrics: PipelineMetrics): number => Object.values(metrics.stages).reduce((sum, ms) => sum + (ms ?? 0), 0);

    it('counts a joiner\'s shared stages from its own start: the leader\'s execution before it joined is not its time', () => {
      const flight = sharedExecution();
      let leader!: ReturnType<typeof record<PipelineEvent>>;
      let joiner!: ReturnType<typeof record<PipelineEvent>>;
      newScheduler().run(({ cold, flush }) => {
        // Execution 0-6 (X ends at 6), fusion 6-11: the joiner starts at 3, mid-execution.
        const expert = fakeExpert('X', [cold('-a---b|', { a: 'Hel', b: 'lo' })]);
        const fusion = slowSelect(() => cold('----x|', { x: 'Hello' }));
        leader = record(request(cold, flight, [expert], fusion, 'leader', 0));
        joiner = record(request(cold, flight, [expert], fusion, 'joiner', 3));
        flush();
      });
      expect(metricsOf(leader.events)).toEqual({
        total: 11, stages: { execution: 6, fusion: 5 }, ttft: 1, experts: {}, cacheHit: false, degraded: false, bottlenecks: ['execution'],
      });
      const joined = metricsOf(joiner.events);
      expect(joined).toEqual({
        total: 8, stages: { execution: 3, fusion: 5 }, ttft: 0, experts: {}, cacheHit: false, degraded: false, bottlenecks: ['fusion'],
      });
      expect(stagesTotal(joined)).toBeLessThanOrEqual(joined.total);
      expect(joiner.events.at(-1)).toEqual({ type: 'complete', requestId: 'joiner', text: 'Hello', fromCache: false, degraded: false });
    });

    it('counts a joiner cancelled during the shared fusion from its own start: no execution time, fusion only since it joined', () => {
      const flight = sharedExecution();
      let leader!: ReturnType<typeof record<PipelineEvent>>;
      let joiner!: ReturnType<typeof record<PipelineEvent>>;
      newScheduler().run(({ cold, hot, flush }) => {
        const expert = fakeExpert('X', [cold('-a---b|', { a: 'Hel', b: 'lo' })]);
        const fusion = slowSelect(() => cold('----x|', { x: 'Hello' }));
        leader = record(request(cold, flight, [expert], fusion, 'leader', 0));
        // Joins at 8, during the fusion (6-11), and is cancelled at 10.
        joiner = record(request(cold, flight, [expert], fusion, 'joiner', 8, hot('10ms r', { r: 'stop' })));
        flush();
      });
      const joined = metricsOf(joiner.events);
      expect(joined).toEqual({
        total: 2, stages: { execution: 0, fusion: 2 }, ttft: 0, experts: {}, cacheHit: false, degraded: false, bottlenecks: ['fusion'],
      });
      expect(stagesTotal(joined)).toBeLessThanOrEqual(joined.total);
      expect(joiner.events.at(-1)).toEqual({ type: 'cancelled', requestId: 'joiner', reason: 'stop' });
      expect(metricsOf(leader.events)).toEqual(expect.objectContaining({ total: 11, stages: { execution: 6, fusion: 5 } }));
    });
  });
});
