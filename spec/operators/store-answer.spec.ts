import { EMPTY, asyncScheduler, tap, type Observable } from 'rxjs';
import type { CompleteEvent } from '../../src/events';
import { storeAnswer, type StoreAnswerDeps } from '../../src/operators/store-answer';
import { createCacheWriter, WRITE_TIMEOUT_FACTOR } from '../../src/pipeline/cache-writer';
import type { Job, JobResult } from '../../src/pipeline/job';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import type { ResponseCache } from '../../src/ports';
import { aReporter, everyKind, lettersExcept, plannedJob } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

type FakeCache = ResponseCache & { set: jest.Mock };

const aCache = (set: () => Observable<void> = () => EMPTY): FakeCache =>
  ({ get: () => EMPTY, set: jest.fn(set), close: () => Promise.resolve() });

const CACHE_MS = 5;

const deps = (cache: ResponseCache | undefined): StoreAnswerDeps => ({
  // The plugin's writer: each operation abandoned after WRITE_TIMEOUT_FACTOR x cacheMs.
  cache, writer: createCacheWriter({ timeoutMs: CACHE_MS * WRITE_TIMEOUT_FACTOR, scheduler: asyncScheduler }), clock: asyncScheduler, reportSystemError: aReporter(),
});

/** A job at the guard's end: planned, looked up under `key`, with `result`. */
const guardedJob = (result: JobResult = { text: 'The answer.', fromCache: false, degraded: false }, key = 'key-1'): Job => {
  const job = plannedJob();
  job.cacheKey = key;
  job.result = result;
  return job;
};

const complete = (job: Job): CompleteEvent => {
  if (job.result === undefined) throw new Error('no result');
  return { type: 'complete', requestId: job.requestId, ...job.result };
};

describe('storeAnswer', () => {
  it('turns the guarded hand-off into complete and writes the clean answer with the clock time and plan id', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = guardedJob();
      const set$ = cold<void>('   --|');
      const cache = aCache(() => set$);
      const source = cold('    ---(g|)', { g: handoff('guarded', job) });
      expectObservable(source.pipe(storeAnswer(deps(cache)))).toBe('---(c|)', { c: complete(job) });
      expectSubscriptions(set$.subscriptions).toBe('---^-!');
      flush();
      expect(cache.set.mock.calls).toEqual([['key-1', { text: 'The answer.', createdAt: 3, planId: job.route?.plan.id }]]);
      expect(job.metrics.degraded).toBe(false);
    });
  });

  it('never writes an answer that came from the cache', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = guardedJob({ text: 'Cached.', fromCache: true, degraded: false });
      const cache = aCache();
      expectObservable(cold('-(g|)', { g: handoff('guarded', job) }).pipe(storeAnswer(deps(cache)))).toBe('-(c|)', { c: complete(job) });
      flush();
      expect(cache.set).not.toHaveBeenCalled();
    });
  });

  it('never writes a degraded answer, and marks the metrics degraded', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = guardedJob({ text: 'Fallback.', fromCache: false, degraded: true });
      const cache = aCache();
      expectObservable(cold('-(g|)', { g: handoff('guarded', job) }).pipe(storeAnswer(deps(cache))))
        .toBe('-(c|)', { c: { type: 'complete', requestId: 'r1', text: 'Fallback.', fromCache: false, degraded: true } });
      flush();
      expect(cache.set).not.toHaveBeenCalled();
      expect(job.metrics.degraded).toBe(true);
    });
  });

  it('writes nothing when caching is off or no key was computed, and still completes', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const noKey = guardedJob();
      noKey.cacheKey = undefined;
      const cache = aCache();
      const off = guardedJob();
      expectObservable(cold('-(g|)', { g: handoff('guarded', noKey) }).pipe(storeAnswer(deps(cache)))).toBe('-(c|)', { c: complete(noKey) });
      expectObservable(cold('-(g|)', { g: handoff('guarded', off) }).pipe(storeAnswer(deps(undefined)))).toBe('-(c|)', { c: complete(off) });
      flush();
      expect(cache.set).not.toHaveBeenCalled();
    });
  });

  it('reports a failing write and still emits complete', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = guardedJob();
      const full = new Error('disk full');
      const set$ = cold<void>('   ---#', undefined, full);
      const d = deps(aCache(() => set$));
      const source = cold('      -(g|)', { g: handoff('guarded', job) });
      expectObservable(source.pipe(storeAnswer(d))).toBe('-(c|)', { c: complete(job) });
      expectSubscriptions(set$.subscriptions).toBe('-^--!');
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(full, { requestId: 'r1', stage: 'cache-write', plan: job.route?.plan });
    });
  });

  it('reports a write that throws on call and still emits complete', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = guardedJob();
      const closed = new Error('store closed');
      const d = deps(aCache(() => { throw closed; }));
      expectObservable(cold('-(g|)', { g: handoff('guarded', job) }).pipe(storeAnswer(d))).toBe('-(c|)', { c: complete(job) });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledWith(closed, expect.objectContaining({ stage: 'cache-write' }));
    });
  });

  it('keeps the write running when the caller unsubscribes right after complete', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const job = guardedJob();
      const set$ = cold<void>('   -----|');
      const source = cold('      -g----', { g: handoff('guarded', job) });
      const unsub = '            ^-!';
      expectObservable(source.pipe(storeAnswer(deps(aCache(() => set$)))), unsub).toBe('-c', { c: complete(job) });
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(set$.subscriptions).toBe('-^----!');
    });
  });

  it('abandons and reports a write slower than WRITE_TIMEOUT_FACTOR x cacheMs, unsubscribing it then', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      expect(CACHE_MS * WRITE_TIMEOUT_FACTOR).toBe(50);
      const job = guardedJob();
      const set$ = cold<void>('   60ms |');
      const d = deps(aCache(() => set$));
      const source = cold('      -(g|)', { g: handoff('guarded', job) });
      expectObservable(source.pipe(storeAnswer(d))).toBe('-(c|)', { c: complete(job) });
      expectSubscriptions(set$.subscriptions).toBe('-^ 49ms !');
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ _tag: 'CacheError', operation: 'set' }), { requestId: 'r1', stage: 'cache-write', plan: job.route?.plan });
      expect(d.writer.pending()).toBe(0);
    });
  });

  it('keeps a write that ends just within the deadline, with nothing reported', () => {
    newScheduler().run(({ cold, expectSubscriptions, flush }) => {
      const job = guardedJob();
      const set$ = cold<void>('49ms |');
      const d = deps(aCache(() => set$));
      cold('g|', { g: handoff('guarded', job) }).pipe(storeAnswer(d)).subscribe();
      expectSubscriptions(set$.subscriptions).toBe('^ 48ms !');
      flush();
      expect(d.reportSystemError).not.toHaveBeenCalled();
    });
  });

  it('errors the stream when a guarded hand-off carries no result', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = guardedJob();
      job.result = undefined;
      expectObservable(cold('-g|', { g: handoff('guarded', job) }).pipe(storeAnswer(deps(aCache()))))
        .toBe('-#', undefined, expect.objectContaining({ message: expect.stringContaining('without a result') }));
    });
  });

  it('passes every other kind through as the same object, complete included', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const ev = everyKind(guardedJob());
      const letters = lettersExcept('g');
      const source: Observable<StageEvent> = cold(`${letters}|`, ev);
      const cache = aCache();
      const seen: StageEvent[] = [];
      expectObservable(source.pipe(storeAnswer(deps(cache)), tap((event) => seen.push(event)))).toBe(`${letters}|`, ev);
      flush();
      expect(cache.set).not.toHaveBeenCalled();
      expect(seen).toHaveLength(letters.length);
      seen.forEach((event, i) => expect(event).toBe(ev[letters[i]]));
    });
  });
});
