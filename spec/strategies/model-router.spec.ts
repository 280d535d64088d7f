import { TimeoutError as RxTimeoutError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Expert, ExpertTask, RouteDecision, RouteInput, Router } from '../../src/ports';
import { sectionsFusion } from '../../src/strategies/fusion-sections';
import { intentRouter } from '../../src/strategies/intent-router';
import { modelRouter, type ModelRouterOptions } from '../../src/strategies/model-router';

const ids = ['coder', 'mathematician', 'poet', 'generalist'];
const input = (prompt: string, unhealthy: string[] = []): RouteInput => ({
  prompt,
  experts: ids.map((id) => ({ id, model: 'm', version: '1', healthy: !unhealthy.includes(id) })),
  load: { inFlight: 1, maxConcurrent: 64, shedExpertsAbove: Infinity },
});

const sections = sectionsFusion();
const routes = { code: { experts: ['coder', 'generalist'], fusion: sections }, math: { experts: ['mathematician'] }, creative: { experts: ['poet'] } };
const intents = ['code', 'math', 'creative', 'factual', 'chat'];
const rules = intentRouter({ routes });

/** A classifier expert answering with `reply$` and recording the tasks it got. */
const classifierOf = (reply$: Observable<string>) => {
  const tasks: ExpertTask[] = [];
  const expert: Expert = { id: 'clf', model: 'tiny', version: '1', stream: (task) => { tasks.push(task); return reply$; } };
  return { expert, tasks };
};

describe('modelRouter', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const routerWith = (classifier: Expert, extra: Partial<ModelRouterOptions> = {}) =>
    modelRouter({ classifier, intents, routes, fallback: rules, scheduler, ...extra });

  it("routes by the classifier's answer when it is one of the intents, asking with the intents listed", () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a-b|', { a: ' Co', b: 'de.' });
      const { expert, tasks } = classifierOf(reply$);
      expectObservable(routerWith(expert).route(input('Write a poem')) as Observable<RouteDecision>)
        .toBe('----(d|)', { d: { intent: 'code', expertIds: ['coder', 'generalist'], fusion: sections } });
      expectSubscriptions(reply$.subscriptions).toBe('^---!');
      scheduler.flush();
      const asked = "Classify the user's request into exactly one of: code, math, creative, factual, chat. Answer with the single word.\n\nRequest: Write a poem";
      expect(tasks).toEqual([{ requestId: 'model-router', attempt: 1, prompt: asked, messages: [{ role: 'user', content: asked }] }]);
    });
  });

  it('falls back to the rules exactly at timeoutMs, unsubscribing the classifier then', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a 2000ms b|', { a: 'co', b: 'de' });
      const reasons: unknown[] = [];
      const router = routerWith(classifierOf(reply$).expert, { onFallback: (reason) => reasons.push(reason) });
      expectObservable(router.route(input('Write a poem about the sea')) as Observable<RouteDecision>)
        .toBe('1500ms (f|)', { f: { intent: 'creative', expertIds: ['poet'] } });
      expectSubscriptions(reply$.subscriptions).toBe('^ 1499ms !');
      scheduler.flush();
      expect(reasons).toEqual([expect.any(RxTimeoutError)]);
    });
  });

  it('honours a custom timeoutMs', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-----a|', { a: 'math' });
      expectObservable(routerWith(classifierOf(reply$).expert, { timeoutMs: 3 }).route(input('Solve x + 1 = 2')) as Observable<RouteDecision>)
        .toBe('---(f|)', { f: { intent: 'math', expertIds: ['mathematician'] } });
      expectSubscriptions(reply$.subscriptions).toBe('^--!');
    });
  });

  it('falls back when the label is not one of the intents', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const reply$ = cold('-a-b|', { a: 'bana', b: 'na' });
      expectObservable(routerWith(classifierOf(reply$).expert).route(input('Fix this bug')) as Observable<RouteDecision>)
        .toBe('----(f|)', { f: { intent: 'code', expertIds: ['coder', 'generalist'], fusion: sections } });
    });
  });

  it('falls back when the classifier errors', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a-#', { a: 'ma' }, new Error('503'));
      expectObservable(routerWith(classifierOf(reply$).expert).route(input('Write a poem')) as Observable<RouteDecision>)
        .toBe('---(f|)', { f: { intent: 'creative', expertIds: ['poet'] } });
      expectSubscriptions(reply$.subscriptions).toBe('^--!');
    });
  });

  it('falls back when the classifier answers nothing', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const reply$ = cold('--a|', { a: '  \n' });
      expectObservable(routerWith(classifierOf(reply$).expert).route(input('Write a poem')) as Observable<RouteDecision>)
        .toBe('---(f|)', { f: { intent: 'creative', expertIds: ['poet'] } });
    });
  });

  it('stops listening as soon as the first word is complete', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a-b-c|', { a: '"Math', b: '", because', c: ' it has numbers' });
      expectObservable(routerWith(classifierOf(reply$).expert).route(input('x')) as Observable<RouteDecision>)
        .toBe('---(d|)', { d: { intent: 'math', expertIds: ['mathematician'] } });
      expectSubscriptions(reply$.subscriptions).toBe('^--!');
    });
  });

  it('stops the classifier when the caller unsubscribes', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const reply$ = cold('-a----b|', { a: 'co', b: 'de' });
      expectObservable(routerWith(classifierOf(reply$).expert).route(input('x')) as Observable<RouteDecision>, '^--!').toBe('---');
      expectSubscriptions(reply$.subscriptions).toBe('^--!');
    });
  });

  it('routes a valid label without a route to every healthy expert, or to the unrouted route', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const reply$ = cold('-a|', { a: 'chat' });
      expectObservable(routerWith(classifierOf(reply$).expert).route(input('x', ['poet'])) as Observable<RouteDecision>)
        .toBe('--(d|)', { d: { intent: 'chat', expertIds: ['coder', 'mathematician', 'generalist'] } });
      expectObservable(routerWith(classifierOf(reply$).expert, { unrouted: { experts: ['generalist'] } }).route(input('x')) as Observable<RouteDecision>)
        .toBe('--(d|)', { d: { intent: 'chat', expertIds: ['generalist'] } });
    });
  });

  it("subscribes to an Observable fallback decision and lets the fallback's own error through", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const reply$ = cold('-#');
      const decision: RouteDecision = { intent: 'general', expertIds: ['poet'] };
      const observableFallback: Router = { route: () => cold('--(a|)', { a: decision }) };
      expectObservable(routerWith(classifierOf(reply$).expert, { fallback: observableFallback }).route(input('x')) as Observable<RouteDecision>)
        .toBe('---(a|)', { a: decision });
      const broken: Router = { route: () => { throw new Error('rules broke'); } };
      expectObservable(routerWith(classifierOf(reply$).expert, { fallback: broken }).route(input('x')) as Observable<RouteDecision>)
        .toBe('-#', undefined, new Error('rules broke'));
    });
  });

  it('does not subscribe to the classifier until the decision is subscribed', () => {
    scheduler.run(({ cold, expectSubscriptions }) => {
      const reply$ = cold('-a|', { a: 'code' });
      const { expert, tasks } = classifierOf(reply$);
      routerWith(expert).route(input('x'));
      expectSubscriptions(reply$.subscriptions).toBe([]);
      scheduler.flush();
      expect(tasks).toHaveLength(0);
    });
  });

  it('shows the classifier at most maxPromptChars of the prompt, never splitting a surrogate pair', () => {
    scheduler.run(({ cold }) => {
      const { expert, tasks } = classifierOf(cold('-a|', { a: 'code' }));
      const router = routerWith(expert, { maxPromptChars: 5 });
      (router.route(input('abcdefgh')) as Observable<RouteDecision>).subscribe();
      (router.route(input('abcd😀fgh')) as Observable<RouteDecision>).subscribe();
      expect(tasks.map((task) => task.prompt.split('Request: ')[1])).toEqual(['abcde', 'abcd']);
    });
  });

  it('passes the request id to the classifier when the route input carries one', () => {
    const { expert, tasks } = classifierOf(scheduler.createColdObservable('-a|', { a: 'code' }));
    (routerWith(expert).route({ ...input('x'), requestId: 'r-7' } as RouteInput) as Observable<RouteDecision>).subscribe();
    expect(tasks[0]?.requestId).toBe('r-7');
  });

  it('rejects bad options at construction with one TypeError listing the problems', () => {
    const { expert } = classifierOf(scheduler.createColdObservable('|'));
    const bad = (extra: Record<string, unknown>) => () => modelRouter({ classifier: expert, intents, routes, fallback: rules, ...extra } as ModelRouterOptions);
    expect(bad({ intents: ['Code', 'two words', 'ok'] })).toThrow(/intent "Code" must be a lower-case word; intent "two words" must be a lower-case word/);
    expect(bad({ intents: [] })).toThrow(/intents must be a non-empty array/);
    expect(bad({ timeoutMs: 0 })).toThrow(/timeoutMs must be a finite number > 0/);
    expect(bad({ fallback: {} })).toThrow(/fallback must be a Router/);
    expect(bad({ classifier: {} })).toThrow(/classifier must be an Expert/);
    expect(bad({ knownExperts: ['coder'] })).toThrow(/modelRouter: routes\.code\.experts\[1\] "generalist" is not a known expert/);
  });
});
