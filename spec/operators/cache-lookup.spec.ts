import { EMPTY, asyncScheduler, tap, type Observable } from 'rxjs';
import type { CacheEvent, TokenEvent } from '../../src/events';
import { cacheLookup, type CacheLookupDeps } from '../../src/operators/cache-lookup';
import { cacheKey } from '../../src/pipeline/cache-key';
import { createCacheWriter } from '../../src/pipeline/cache-writer';
import type { Job } from '../../src/pipeline/job';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import type { CachedAnswer, ResponseCache } from '../../src/ports';
import { aGuard, aReporter, everyKind, lettersExcept, plannedJob, timeouts, validatedJob } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const CACHE_MS = 5;

type FakeCache = ResponseCache & { get: jest.Mock; set: jest.Mock; delete: jest.Mock };

const aCache = (get: () => Observable<CachedAnswer | undefined>, del: () => Observable<void> = () => EMPTY): FakeCache =>
  ({ get: jest.fn(get), set: jest.fn(() => EMPTY), delete: jest.fn(del), close: () => Promise.resolve() });

const deps = (cache: ResponseCache | undefined): CacheLookupDeps => ({
  cache,
  guard: aGuard('guard-7'),
  clock: asyncScheduler,
  scheduler: asyncScheduler,
  timeouts: timeouts(CACHE_MS),
  writer: createCacheWriter({ timeoutMs: CACHE_MS * 10, scheduler: asyncScheduler }),
  reportSystemError: aReporter(),
});

/** The key the lookup must use: plan-aware, with the fusion's and the guard's versions. */
const keyOf = (job: Job): string => {
  if (job.request === undefined || job.route === undefined) throw new Error('job not planned');
  return cacheKey(job.request, job.route.keyPlan, { fusion: job.route.fusion.version, guard: 'guard-7' });
};

const answer: CachedAnswer = { text: 'A cached answer.', createdAt: 1, planId: 'plan-1' };

const hitValues = (job: Job) => ({
  c: { type: 'cache', requestId: job.requestId, hit: true, key: keyOf(job) } satisfies CacheEvent,
  t: { type: 'token', requestId: job.requestId, source: 'cache', text: answer.text } satisfies TokenEvent,
  a: handoff('answer', job),
});

const missValues = (job: Job) => ({
  c: { type: 'cache', requestId: job.requestId, hit: false, key: keyOf(job) } satisfies CacheEvent,
  x: handoff('execute', job),
});

const planned = (job: Job) => ({ P: handoff('planned', job) });

describe('cacheLookup', () => {
  it('emits cache (hit), the answer as one cache token and the answer hand-off on a hit', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = plannedJob();
      const get$ = cold('-(a|)', { a: answer });
      const cache = aCache(() => get$);
      const source = cold('(P|)', planned(job));
      expectObservable(source.pipe(cacheLookup(deps(cache)))).toBe('-(cta|)', hitValues(job));
      expectSubscriptions(get$.subscriptions).toBe('^!');
      flush();
      expect(cache.get.mock.calls).toEqual([[keyOf(job)]]);
      expect(job.cacheKey).toBe(keyOf(job));
      expect(job.result).toEqual({ text: answer.text, fromCache: true, degraded: false });
      expect(job.metrics.cacheHit).toBe(true);
      expect(job.metrics.stages).toEqual({ cache: 1 });
    });
  });

  it('emits cache (miss) and the execute hand-off when the store has no record', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = plannedJob();
      const get$ = cold<CachedAnswer | undefined>('--(u|)', { u: undefined });
      const d = deps(aCache(() => get$));
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('--(cx|)', missValues(job));
      expectSubscriptions(get$.subscriptions).toBe('^-!');
      flush();
      expect(job.cacheKey).toBe(keyOf(job));
      expect(job.result).toBeUndefined();
      expect(job.metrics.cacheHit).toBe(false);
      expect(job.metrics.stages).toEqual({ cache: 2 });
      expect(d.reportSystemError).not.toHaveBeenCalled();
    });
  });

  it('counts a get that completes with no value as a miss', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const d = deps(aCache(() => cold<CachedAnswer | undefined>('---|')));
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('---(cx|)', missValues(job));
      flush();
      expect(d.reportSystemError).not.toHaveBeenCalled();
    });
  });

  it('emits only the execute hand-off, and no cache event, when caching is off, still keying the job for single flight', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      expectObservable(cold('-(P|)', planned(job)).pipe(cacheLookup(deps(undefined)))).toBe('-(x|)', { x: handoff('execute', job) });
      flush();
      expect(job.cacheKey).toBe(keyOf(job));
      expect(job.metrics.stages).toEqual({});
    });
  });

  it('counts a get slower than timeouts.cacheMs as a miss at exactly cacheMs, unsubscribes the get then, and reports it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = plannedJob();
      const get$ = cold('   --------(a|)', { a: answer });
      const d = deps(aCache(() => get$));
      const expected = '    -----(cx|)';
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe(expected, missValues(job));
      expectSubscriptions(get$.subscriptions).toBe('^----!');
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ _tag: 'CacheError', operation: 'get' }),
        { requestId: 'r1', stage: 'cache', plan: job.route?.plan });
      expect(job.metrics.stages).toEqual({ cache: CACHE_MS });
      expect(job.result).toBeUndefined();
    });
  });

  it('counts a get that errors as a miss and reports a CacheError with the cause', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const down = new Error('ECONNREFUSED');
      const d = deps(aCache(() => cold<CachedAnswer | undefined>('--#', undefined, down)));
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('--(cx|)', missValues(job));
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ _tag: 'CacheError', operation: 'get', cause: down }),
        { requestId: 'r1', stage: 'cache', plan: job.route?.plan });
    });
  });

  it('counts a get that throws on call as a miss and reports it', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const down = new Error('not connected');
      const d = deps(aCache(() => { throw down; }));
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('(cx|)', missValues(job));
      flush();
      expect(d.reportSystemError).toHaveBeenCalledWith(expect.objectContaining({ _tag: 'CacheError', cause: down }), expect.anything());
    });
  });

  it('counts a malformed record as a miss, deletes it and reports it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = plannedJob();
      const corrupt = { text: '', createdAt: 'yesterday' } as unknown as CachedAnswer;
      const delete$ = cold<void>('   ---|');
      const cache = aCache(() => cold('-(a|)', { a: corrupt }), () => delete$);
      const d = deps(cache);
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('-(cx|)', missValues(job));
      expectSubscriptions(delete$.subscriptions).toBe('-^--!');
      flush();
      expect(cache.delete.mock.calls).toEqual([[keyOf(job)]]);
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ _tag: 'CacheError', operation: 'decode' }),
        { requestId: 'r1', stage: 'cache', plan: job.route?.plan });
      expect(job.result).toBeUndefined();
      expect(job.metrics.cacheHit).toBe(false);
    });
  });

  it('reports a delete of a malformed record that fails, and still misses', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const refused = new Error('read-only replica');
      const cache = aCache(() => cold('-(a|)', { a: 'garbage' as unknown as CachedAnswer }), () => cold<void>('--#', undefined, refused));
      const d = deps(cache);
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('-(cx|)', missValues(job));
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(2);
      expect(d.reportSystemError).toHaveBeenLastCalledWith(refused, { requestId: 'r1', stage: 'cache', plan: job.route?.plan });
    });
  });

  it('reports a delete of a malformed record that throws on call, and still misses', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const closed = new Error('store closed');
      const cache = aCache(() => cold('-(a|)', { a: 'garbage' as unknown as CachedAnswer }), () => { throw closed; });
      const d = deps(cache);
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('-(cx|)', missValues(job));
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(2);
      expect(d.reportSystemError).toHaveBeenLastCalledWith(closed, { requestId: 'r1', stage: 'cache', plan: job.route?.plan });
    });
  });

  it('counts a malformed record as a miss with a store that cannot delete', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const cache: ResponseCache = {
        get: () => cold('-(a|)', { a: { text: 'x', createdAt: 1 } as unknown as CachedAnswer }),
        set: () => EMPTY,
        close: () => Promise.resolve(),
      };
      const d = deps(cache);
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(d))).toBe('-(cx|)', missValues(job));
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    });
  });

  it('uses the plan-aware key: another scope or another plan gives another key', () => {
    newScheduler().run(({ cold, flush }) => {
      const jobs = [
        plannedJob(),
        plannedJob(undefined, { scope: 'tenant-2' }),
        plannedJob({ intent: 'chat', expertIds: ['b', 'a'] }),
        plannedJob(undefined, { prompt: 'Hello there  ' }),
      ];
      const cache = aCache(() => cold<CachedAnswer | undefined>('-|'));
      cold('abcd|', { a: handoff('planned', jobs[0]), b: handoff('planned', jobs[1]), c: handoff('planned', jobs[2]), d: handoff('planned', jobs[3]) })
        .pipe(cacheLookup(deps(cache))).subscribe();
      flush();
      const keys = cache.get.mock.calls.map(([key]) => key as string);
      expect(keys).toEqual(jobs.map(keyOf));
      expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(keys.slice(0, 3)).size).toBe(3);
      expect(keys[3]).toBe(keys[0]);
    });
  });

  it('sends a job that was not planned straight to execute without touching the store', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = validatedJob();
      const cache = aCache(() => cold('-(a|)', { a: answer }));
      expectObservable(cold('(P|)', planned(job)).pipe(cacheLookup(deps(cache)))).toBe('(x|)', { x: handoff('execute', job) });
      flush();
      expect(cache.get).not.toHaveBeenCalled();
    });
  });

  it('passes other events through while the lookup runs', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = plannedJob();
      const ev = everyKind(job);
      const source = cold('P-s------k|', { P: handoff('planned', job), s: ev.s, k: ev.t });
      const get$ = cold('  ---(a|)', { a: answer });
      expectObservable(source.pipe(cacheLookup(deps(aCache(() => get$)))))
        .toBe('--s(cta)-k|', { ...hitValues(job), s: ev.s, k: ev.t });
    });
  });

  it('unsubscribes a pending get when the stream is unsubscribed, with no events and no report', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = plannedJob();
      const source = cold('P---', planned(job));
      const get$ = cold('  ----(a|)', { a: answer });
      const d = deps(aCache(() => get$));
      const unsub = '      ^--!';
      expectObservable(source.pipe(cacheLookup(d)), unsub).toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(get$.subscriptions).toBe('^--!');
      flush();
      expect(d.reportSystemError).not.toHaveBeenCalled();
      expect(job.metrics.stages).toEqual({ cache: 3 });
    });
  });

  it('passes every other kind through as the same object', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const ev = everyKind(plannedJob());
      const letters = lettersExcept('P');
      const source: Observable<StageEvent> = cold(`${letters}|`, ev);
      const cache = aCache(() => EMPTY);
      const seen: StageEvent[] = [];
      expectObservable(source.pipe(cacheLookup(deps(cache)), tap((event) => seen.push(event)))).toBe(`${letters}|`, ev);
      flush();
      expect(cache.get).not.toHaveBeenCalled();
      expect(seen).toHaveLength(letters.length);
      seen.forEach((event, i) => expect(event).toBe(ev[letters[i]]));
    });
  });
});
