import { EMPTY, of, throwError, type Observable } from 'rxjs';
import type { AnswerEvent, ExecuteEvent, PlannedEvent, TimingEvent } from '../../src/chain-events';
import type { CacheEvent, TokenEvent } from '../../src/events';
import type { CacheFault } from '../../src/metrics';
import { cacheLookup, type CacheLookupDeps } from '../../src/operators/cache-lookup';
import { createCacheWriter } from '../../src/pipeline/cache-writer';
import type { CachedAnswer, ResponseCache } from '../../src/ports';
import { cacheKey } from '../../src/strategies/cache-key';
import { everyKind, expectPassThrough } from '../support/every-kind';
import { aReporter, plannedEvent } from '../support/operator-fixtures';
import { countingScheduler, newScheduler } from '../support/virtual-time';

const CACHE_MS = 5;

type FakeCache = ResponseCache & { get: jest.Mock; set: jest.Mock; delete: jest.Mock };

const aCache = (get: () => Observable<CachedAnswer | undefined>, del: () => Observable<void> = () => EMPTY): FakeCache =>
  ({ get: jest.fn(get), set: jest.fn(() => EMPTY), delete: jest.fn(del), close: () => Promise.resolve() });

type TestDeps = CacheLookupDeps & { reportSystemError: ReturnType<typeof aReporter> };

const deps = (cache: ResponseCache | undefined, withWriter = true): TestDeps => ({
  cache,
  guardVersion: 'guard-7',
  timeoutMs: CACHE_MS,
  ...(withWriter ? { writer: createCacheWriter({ timeoutMs: CACHE_MS * 10 }) } : {}),
  reportSystemError: aReporter(),
});

/** The key the lookup must use: plan-aware, with the fusion's and the guard's versions. */
const keyOf = (event: PlannedEvent): string =>
  cacheKey(event.request, event.route.keyPlan, { fusion: event.route.fusion.version, guard: 'guard-7' });

const stored: CachedAnswer = { text: 'A cached answer.', createdAt: 1, planId: 'plan-of-the-writer' };

const timing = (ms: number, fault?: CacheFault, at = 0): TimingEvent =>
  (fault === undefined ? { type: 'timing', requestId: 'r1', stage: 'cache', at, ms } : { type: 'timing', requestId: 'r1', stage: 'cache', at, ms, fault });

/** The cache timing without `ms`: the lookup started at `at` and is still running. */
const looking = (at = 0): TimingEvent => ({ type: 'timing', requestId: 'r1', stage: 'cache', at });

const hitValues = (event: PlannedEvent, ms: number) => ({
  L: looking(),
  T: timing(ms),
  c: { type: 'cache', requestId: 'r1', hit: true, key: keyOf(event) } satisfies CacheEvent,
  t: { type: 'token', requestId: 'r1', source: 'cache', text: stored.text } satisfies TokenEvent,
  // A cached answer cost nothing.
  a: {
    type: 'answer', requestId: 'r1', text: stored.text, fromCache: true, degraded: false, cacheKey: keyOf(event), planId: event.route.plan.id,
    usage: { inputTokens: 0, outputTokens: 0, estimated: false },
  } satisfies AnswerEvent,
});

const missValues = (event: PlannedEvent, ms: number, fault?: CacheFault) => ({
  L: looking(),
  T: timing(ms, fault),
  c: { type: 'cache', requestId: 'r1', hit: false, key: keyOf(event) } satisfies CacheEvent,
  x: { type: 'execute', requestId: 'r1', request: event.request, route: event.route, cacheKey: keyOf(event) } satisfies ExecuteEvent,
});

describe('cacheLookup', () => {
  it('emits the cache timing, cache (hit), the answer as one cache token and the answer hand-off (with this plan\'s id) on a hit', () => {
    const planned = plannedEvent();
    let cache!: FakeCache;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const get$ = cold('-(a|)', { a: stored });
      cache = aCache(() => get$);
      const source = cold('(P|)', { P: planned });
      expectObservable(source.pipe(cacheLookup(deps(cache)))).toBe('L(Tcta|)', hitValues(planned, 1));
      expectSubscriptions(get$.subscriptions).toBe('^!');
    });
    expect(cache.get.mock.calls).toEqual([[keyOf(planned)]]);
  });

  it('emits the cache timing, cache (miss) and the execute hand-off carrying the key when the store has no record', () => {
    const planned = plannedEvent();
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const get$ = cold<CachedAnswer | undefined>('--(u|)', { u: undefined });
      const lookup = cacheLookup({ ...d, cache: aCache(() => get$) });
      expectObservable(cold('(P|)', { P: planned }).pipe(lookup)).toBe('L-(Tcx|)', missValues(planned, 2));
      expectSubscriptions(get$.subscriptions).toBe('^-!');
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('counts a get that completes with no value, or with null, as a plain miss', () => {
    const planned = plannedEvent();
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable }) => {
      const empty = cacheLookup({ ...d, cache: aCache(() => cold<CachedAnswer | undefined>('---|')) });
      const nothing = cacheLookup({ ...d, cache: aCache(() => cold('-(n|)', { n: null as unknown as undefined })) });
      expectObservable(cold('(P|)', { P: planned }).pipe(empty)).toBe('L--(Tcx|)', missValues(planned, 3));
      expectObservable(cold('(P|)', { P: planned }).pipe(nothing)).toBe('L(Tcx|)', missValues(planned, 1));
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('emits no running cache timing when the store answers, misses or fails synchronously', () => {
    const planned = plannedEvent();
    const down = new Error('ECONNRESET');
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable }) => {
      const lookUp = (get: () => Observable<CachedAnswer | undefined>) => cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache: aCache(get) }));
      expectObservable(lookUp(() => of(stored))).toBe('(Tcta|)', hitValues(planned, 0));
      expectObservable(lookUp(() => of(undefined))).toBe('(Tcx|)', missValues(planned, 0));
      expectObservable(lookUp(() => EMPTY)).toBe('(Tcx|)', missValues(planned, 0));
      expectObservable(lookUp(() => throwError(() => down))).toBe('(Tcx|)', missValues(planned, 0, 'error'));
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
  });

  it('takes the first record of a store that emits more, unsubscribing the get right after it', () => {
    const planned = plannedEvent();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const get$ = cold<CachedAnswer | undefined>('  -ab|', { a: stored, b: { ...stored, text: 'a later record' } });
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup(deps(aCache(() => get$))))).toBe('L(Tcta|)', hitValues(planned, 1));
      expectSubscriptions(get$.subscriptions).toBe('^!');
    });
  });

  it('arms no deadline timer for a store that answers synchronously (the memory cache), one for a store that does not', () => {
    const planned = plannedEvent();
    const scheduled: number[] = [];
    const counting = countingScheduler(scheduled);
    newScheduler().run(({ cold, expectObservable }) => {
      const lookUp = (get: () => Observable<CachedAnswer | undefined>) => cold('(P|)', { P: planned }).pipe(cacheLookup(deps(aCache(get)), counting));
      expectObservable(lookUp(() => of(stored))).toBe('(Tcta|)', hitValues(planned, 0));
      expectObservable(lookUp(() => of(undefined))).toBe('(Tcx|)', missValues(planned, 0));
    });
    expect(scheduled).toEqual([]);
    newScheduler().run(({ cold, expectObservable }) => {
      const get$ = cold<CachedAnswer | undefined>('-(u|)', { u: undefined });
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup(deps(aCache(() => get$)), counting))).toBe('L(Tcx|)', missValues(planned, 1));
    });
    expect(scheduled).toEqual([CACHE_MS]);
  });

  it('stamps the running cache timing with the frame the lookup started at', () => {
    const planned = plannedEvent();
    newScheduler().run(({ cold, expectObservable }) => {
      const get$ = cold<CachedAnswer | undefined>('  -(u|)', { u: undefined });
      expectObservable(cold('--(P|)', { P: planned }).pipe(cacheLookup(deps(aCache(() => get$)))))
        .toBe('--L(Tcx|)', { ...missValues(planned, 1), L: looking(2), T: timing(1, undefined, 2) });
    });
  });

  it('emits only the execute hand-off, no timing and no cache event, when caching is off, still carrying the key for single flight', () => {
    const planned = plannedEvent();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-(P|)', { P: planned }).pipe(cacheLookup(deps(undefined)))).toBe('-(x|)', { x: missValues(planned, 0).x });
    });
  });

  it('counts a get slower than timeoutMs as a miss (fault timeout) at exactly timeoutMs, unsubscribes the get then, and reports it', () => {
    const planned = plannedEvent();
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const get$ = cold('   --------(a|)', { a: stored });
      const expected = '    L----(Tcx|)';
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache: aCache(() => get$) })))
        .toBe(expected, missValues(planned, CACHE_MS, 'timeout'));
      expectSubscriptions(get$.subscriptions).toBe('^----!');
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'CacheError', operation: 'get', message: `cache lookup took longer than ${CACHE_MS}ms` }),
      { requestId: 'r1', stage: 'cache', plan: planned.route.plan });
  });

  it('waits 100 ms by default', () => {
    const planned = plannedEvent();
    newScheduler().run(({ cold, expectObservable }) => {
      const { timeoutMs: _omitted, ...rest } = deps(aCache(() => cold('200ms (a|)', { a: stored })));
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup(rest))).toBe('L 99ms (Tcx|)', missValues(planned, 100, 'timeout'));
    });
  });

  it('counts a get that errors as a miss (fault error) and reports a CacheError with the cause', () => {
    const planned = plannedEvent();
    const down = new Error('ECONNREFUSED');
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable }) => {
      const lookup = cacheLookup({ ...d, cache: aCache(() => cold<CachedAnswer | undefined>('--#', undefined, down)) });
      expectObservable(cold('(P|)', { P: planned }).pipe(lookup)).toBe('L-(Tcx|)', missValues(planned, 2, 'error'));
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'CacheError', operation: 'get', cause: down }),
      { requestId: 'r1', stage: 'cache', plan: planned.route.plan });
  });

  it('counts a get that throws on call as a miss (fault error) and reports it', () => {
    const planned = plannedEvent();
    const down = new Error('not connected');
    const d = deps(aCache(() => { throw down; }));
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup(d))).toBe('(Tcx|)', missValues(planned, 0, 'error'));
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(expect.objectContaining({ _tag: 'CacheError', cause: down }), expect.anything());
  });

  it('counts a malformed record as a miss (fault corrupt), deletes it through the writer and reports it', () => {
    const planned = plannedEvent();
    const corrupt = { text: '', createdAt: 'yesterday' } as unknown as CachedAnswer;
    const d = deps(undefined);
    let cache!: FakeCache;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const delete$ = cold<void>('   ---|');
      cache = aCache(() => cold('-(a|)', { a: corrupt }), () => delete$);
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache }))).toBe('L(Tcx|)', missValues(planned, 1, 'corrupt'));
      expectSubscriptions(delete$.subscriptions).toBe('-^--!');
    });
    expect(cache.delete.mock.calls).toEqual([[keyOf(planned)]]);
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'CacheError', operation: 'decode' }),
      { requestId: 'r1', stage: 'cache', plan: planned.route.plan });
  });

  it('keeps a malformed record when no writer is given (nothing runs detached), and still misses', () => {
    const planned = plannedEvent();
    const d = deps(undefined, false);
    let cache!: FakeCache;
    newScheduler().run(({ cold, expectObservable }) => {
      cache = aCache(() => cold('-(a|)', { a: 'garbage' as unknown as CachedAnswer }));
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache }))).toBe('L(Tcx|)', missValues(planned, 1, 'corrupt'));
    });
    expect(cache.delete).not.toHaveBeenCalled();
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
  });

  it('reports a delete of a malformed record that fails, and still misses', () => {
    const planned = plannedEvent();
    const refused = new Error('read-only replica');
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable }) => {
      const cache = aCache(() => cold('-(a|)', { a: 'garbage' as unknown as CachedAnswer }), () => cold<void>('--#', undefined, refused));
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache }))).toBe('L(Tcx|)', missValues(planned, 1, 'corrupt'));
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(2);
    expect(d.reportSystemError).toHaveBeenLastCalledWith(refused, { requestId: 'r1', stage: 'cache', plan: planned.route.plan });
  });

  it('reports a delete of a malformed record that throws on call, and still misses', () => {
    const planned = plannedEvent();
    const closed = new Error('store closed');
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable }) => {
      const cache = aCache(() => cold('-(a|)', { a: 'garbage' as unknown as CachedAnswer }), () => { throw closed; });
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache }))).toBe('L(Tcx|)', missValues(planned, 1, 'corrupt'));
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(2);
    expect(d.reportSystemError).toHaveBeenLastCalledWith(closed, { requestId: 'r1', stage: 'cache', plan: planned.route.plan });
  });

  it('counts a malformed record as a miss with a store that cannot delete', () => {
    const planned = plannedEvent();
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable }) => {
      const cache: ResponseCache = {
        get: () => cold('-(a|)', { a: { text: 'x', createdAt: 1 } as unknown as CachedAnswer }),
        set: () => EMPTY,
        close: () => Promise.resolve(),
      };
      expectObservable(cold('(P|)', { P: planned }).pipe(cacheLookup({ ...d, cache }))).toBe('L(Tcx|)', missValues(planned, 1, 'corrupt'));
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
  });

  it('uses the plan-aware key: another scope or another plan gives another key, an untrimmed prompt the same one', () => {
    const events = [
      plannedEvent(),
      plannedEvent(undefined, { scope: 'tenant-2' }),
      plannedEvent({ intent: 'chat', expertIds: ['b', 'a'] }),
      plannedEvent(undefined, { prompt: 'Hello there  ' }),
    ];
    let cache!: FakeCache;
    newScheduler().run(({ cold, flush }) => {
      cache = aCache(() => cold<CachedAnswer | undefined>('-|'));
      cold('abcd|', { a: events[0], b: events[1], c: events[2], d: events[3] }).pipe(cacheLookup(deps(cache))).subscribe();
      flush();
    });
    const keys = cache.get.mock.calls.map(([key]) => key as string);
    expect(keys).toEqual(events.map(keyOf));
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(keys.slice(0, 3)).size).toBe(3);
    expect(keys[3]).toBe(keys[0]);
  });

  it('looks up each planned hand-off on its own, concurrently', () => {
    const one = plannedEvent(undefined, { requestId: 'one' });
    const two = plannedEvent(undefined, { requestId: 'two', scope: 'tenant-2' });
    newScheduler().run(({ cold, expectObservable }) => {
      const cache = aCache(() => cold<CachedAnswer | undefined>('----(u|)', { u: undefined }));
      const source = cold('(ab)--------|', { a: one, b: two });
      const misses = (event: PlannedEvent, at: number) => {
        const { L, T, c, x } = missValues(event, 4);
        const own = { requestId: event.requestId };
        return { L: { ...L, ...own, at }, T: { ...T, ...own, at }, c: { ...c, ...own }, x: { ...x, ...own } };
      };
      const a = misses(one, 0);
      const b = misses(two, 0);
      expectObservable(source.pipe(cacheLookup(deps(cache)))).toBe('(LV)(TcxUdy)|', {
        L: a.L, V: b.L, T: a.T, c: a.c, x: a.x, U: b.T, d: b.c, y: b.x,
      });
    });
  });

  it('passes other events through while the lookup runs', () => {
    const planned = plannedEvent();
    const ev = everyKind();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold('P-s-------k|', { P: planned, s: ev.s, k: ev.t });
      const get$ = cold('  ---(a|)', { a: stored });
      expectObservable(source.pipe(cacheLookup(deps(aCache(() => get$)))))
        .toBe('L-s(Tcta)-k|', { ...hitValues(planned, 3), s: ev.s, k: ev.t });
    });
  });

  it('unsubscribes a pending get when the stream is unsubscribed, with no event after the running timing and no report', () => {
    const planned = plannedEvent();
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('P---', { P: planned });
      const get$ = cold('  ----(a|)', { a: stored });
      const unsub = '      ^--!';
      expectObservable(source.pipe(cacheLookup({ ...d, cache: aCache(() => get$) })), unsub).toBe('L--', { L: looking() });
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(get$.subscriptions).toBe('^--!');
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('passes every other kind through as the same object, without touching the store', () => {
    const cache = aCache(() => EMPTY);
    expectPassThrough(cacheLookup(deps(cache)), 'P');
    expect(cache.get).not.toHaveBeenCalled();
  });
});
