import { of } from 'rxjs';
import type { FusionStrategy, RouteDecision, RouteInput } from '../../src/ports';
import { bestFusion } from '../../src/strategies/fusion-best';
import { sectionsFusion } from '../../src/strategies/fusion-sections';
import { intentRouter, intentRoutes } from '../../src/strategies/intent-router';

const ids = ['coder', 'mathematician', 'poet', 'generalist', 'chatty'];

const inputFor = (prompt: string, { unhealthy = [] as string[], inFlight = 1, shedExpertsAbove = Infinity } = {}): RouteInput => ({
  prompt,
  experts: ids.map((id) => ({ id, model: 'm', version: '1', healthy: !unhealthy.includes(id) })),
  load: { inFlight, maxConcurrent: 64, shedExpertsAbove },
});

const sections = sectionsFusion();
const routes = {
  code: { experts: ['coder', 'generalist', 'mathematician'], fusion: sections },
  math: { experts: ['mathematician', 'generalist'] },
  creative: { experts: ['poet'] },
};

const decide = (router: { route(input: RouteInput): unknown }, input: RouteInput) => router.route(input) as RouteDecision;

describe('intentRouter', () => {
  it('routes each intent to its experts in the configured order, with its fusion when it has one', () => {
    const router = intentRouter({ routes });
    expect(decide(router, inputFor('There is a bug in my Python function'))).toEqual({
      intent: 'code', expertIds: ['coder', 'generalist', 'mathematician'], fusion: sections,
    });
    const math = decide(router, inputFor('Solve 2x + 3 = 11'));
    expect(math).toEqual({ intent: 'math', expertIds: ['mathematician', 'generalist'] });
    expect('fusion' in math).toBe(false);
    expect(decide(router, inputFor('Write a poem about the sea'))).toEqual({ intent: 'creative', expertIds: ['poet'] });
  });

  it('sends an intent without a route to the fallback route, or to every healthy expert without one', () => {
    expect(decide(intentRouter({ routes }), inputFor('Hello there'))).toEqual({ intent: 'chat', expertIds: ids });
    const best = bestFusion();
    const router = intentRouter({ routes, fallback: { experts: ['chatty', 'generalist'], fusion: best } });
    expect(decide(router, inputFor('Hello there'))).toEqual({ intent: 'chat', expertIds: ['chatty', 'generalist'], fusion: best });
    expect(decide(intentRouter({ routes, fallback: { fusion: best } }), inputFor('Hello there'))).toEqual({ intent: 'chat', expertIds: ids, fusion: best });
  });

  it('drops unhealthy experts from the intent set, keeping the order', () => {
    const router = intentRouter({ routes });
    expect(decide(router, inputFor('Fix this bug', { unhealthy: ['generalist'] })).expertIds).toEqual(['coder', 'mathematician']);
  });

  it('falls back to every healthy expert, keeping the intent and its fusion, when none of its set is healthy', () => {
    const router = intentRouter({ routes });
    expect(decide(router, inputFor('Fix this bug', { unhealthy: ['coder', 'generalist', 'mathematician'] }))).toEqual({
      intent: 'code', expertIds: ['poet', 'chatty'], fusion: sections,
    });
  });

  it('asks no expert when none is healthy (the pipeline reports no-experts)', () => {
    expect(decide(intentRouter({ routes }), inputFor('Fix this bug', { unhealthy: ids })).expertIds).toEqual([]);
  });

  it('drops ids the plugin does not have instead of planning them', () => {
    const router = intentRouter({ routes: { code: { experts: ['ghost', 'coder'] } } });
    expect(decide(router, inputFor('Fix this bug')).expertIds).toEqual(['coder']);
  });

  it('keeps the first half (rounded up) of the set only while in-flight requests exceed shedExpertsAbove', () => {
    const router = intentRouter({ routes });
    const code = (inFlight: number) => decide(router, inputFor('Fix this bug', { inFlight, shedExpertsAbove: 4 })).expertIds;
    expect(code(4)).toEqual(['coder', 'generalist', 'mathematician']);
    expect(code(5)).toEqual(['coder', 'generalist']);
    expect(decide(router, inputFor('Write a poem', { inFlight: 9, shedExpertsAbove: 4 })).expertIds).toEqual(['poet']);
    expect(decide(router, inputFor('Hello', { inFlight: 9, shedExpertsAbove: 4 })).expertIds).toEqual(['coder', 'mathematician', 'poet']);
  });

  it('uses custom rules or a custom classifier', () => {
    const byRules = intentRouter({ routes: { billing: { experts: ['generalist'] } }, rules: [{ intent: 'billing', match: ['invoice'] }] });
    expect(decide(byRules, inputFor('Where is my invoice?'))).toEqual({ intent: 'billing', expertIds: ['generalist'] });
    const byFunction = intentRouter({ routes, classify: (prompt) => (prompt.startsWith('!') ? 'math' : 'creative') });
    expect(decide(byFunction, inputFor('!x')).intent).toBe('math');
    expect(decide(byFunction, inputFor('x')).intent).toBe('creative');
  });

  it('throws a TypeError when the custom classifier returns no intent (the pipeline reports a system error)', () => {
    const router = intentRouter({ routes, classify: () => '' });
    expect(() => router.route(inputFor('x'))).toThrow(TypeError);
  });

  it('rejects unknown expert ids at construction when knownExperts is given, listing every one', () => {
    expect(() => intentRouter({ routes, knownExperts: ['coder', 'generalist', 'poet'] }))
      .toThrow(/routes\.code\.experts\[2\] "mathematician" is not a known expert; routes\.math\.experts\[0\] "mathematician" is not a known expert/);
    expect(() => intentRouter({ routes, fallback: { experts: ['nobody'] }, knownExperts: ids })).toThrow(/fallback\.experts\[0\] "nobody"/);
    expect(() => intentRouter({ routes, knownExperts: ids })).not.toThrow();
  });

  it('rejects a malformed table at construction', () => {
    const bad = (options: unknown) => () => intentRouter(options as Parameters<typeof intentRouter>[0]);
    expect(bad({ routes: null })).toThrow(/routes must be an object/);
    expect(bad({ routes: { code: { experts: [] } } })).toThrow(/routes\.code\.experts must be a non-empty array/);
    expect(bad({ routes: { code: { experts: ['a', 'a'] } } })).toThrow(/lists "a" twice/);
    expect(bad({ routes: { code: { experts: ['a'], fusion: { id: 'x' } } } })).toThrow(/routes\.code\.fusion: Invalid fusion strategy/);
    expect(bad({ routes, rules: [], classify: () => 'x' })).toThrow(/rules or classify, not both/);
    expect(bad({ routes, rules: [{ intent: 'x', match: [] }] })).toThrow(TypeError);
  });

  it('ignores inherited properties when looking an intent up', () => {
    expect(decide(intentRouter({ routes, classify: () => 'constructor' }), inputFor('x'))).toEqual({ intent: 'constructor', expertIds: ids });
  });
});

describe('intentRoutes', () => {
  it('decides for an intent given from outside, and accepts a fusion on the fallback route', () => {
    const fusion: FusionStrategy = { id: 'f', version: '1', orderSensitive: true, fuse: () => of('x') };
    const decideFor = intentRoutes({ routes, fallback: { fusion } });
    expect(decideFor('math', inputFor('anything'))).toEqual({ intent: 'math', expertIds: ['mathematician', 'generalist'] });
    expect(decideFor('other', inputFor('anything'))).toEqual({ intent: 'other', expertIds: ids, fusion });
  });
});
