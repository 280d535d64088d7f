import { EMPTY, type Observable } from 'rxjs';
import type { GuardedEvent } from '../../src/chain-events';
import type { CompleteEvent } from '../../src/events';
import { storeAnswer, type StoreAnswerDeps } from '../../src/operators/store-answer';
import { createCacheWriter, WRITE_TIMEOUT_FACTOR } from '../../src/pipeline/cache-writer';
import type { ResponseCache } from '../../src/ports';
import { expectPassThrough } from '../support/every-kind';
import { aReporter } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

type FakeCache = ResponseCache & { set: jest.Mock };

const aCache = (set: () => Observable<void> = () => EMPTY): FakeCache =>
  ({ get: () => EMPTY, set: jest.fn(set), close: () => Promise.resolve() });

const CACHE_MS = 5;

type TestDeps = StoreAnswerDeps & { reportSystemError: ReturnType<typeof aReporter> };

/** The plugin's deps: each write abandoned after WRITE_TIMEOUT_FACTOR x cacheMs by the writer. */
const deps = (cache: ResponseCache | undefined, withWriter = true): TestDeps => ({
  cache,
  ...(withWriter ? { writer: createCacheWriter({ timeoutMs: CACHE_MS * WRITE_TIMEOUT_FACTOR }) } : {}),
  reportSystemError: aReporter(),
});

/** The guarded hand-off of an answer under `key` (none when null). */
const guarded = ({ text = 'The answer.', fromCache = false, degraded = false, key = 'key-1' as string | null } = {}): GuardedEvent => {
  const base = { type: 'guarded' as const, requestId: 'r1', text, fromCache, degraded, planId: 'plan-1' };
  return key === null ? base : { ...base, cacheKey: key };
};

const complete = ({ text, fromCache, degraded }: GuardedEvent): CompleteEvent => ({ type: 'complete', requestId: 'r1', text, fromCache, degraded });

describe('storeAnswer', () => {
  it('turns the guarded hand-off into complete and writes the clean answer with the clock time and plan id', () => {
    const event = guarded();
    let cache!: FakeCache;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const set$ = cold<void>('   --|');
      cache = aCache(() => set$);
      const source = cold('    ---(g|)', { g: event });
      expectObservable(source.pipe(storeAnswer(deps(cache)))).toBe('---(c|)', { c: complete(event) });
      expectSubscriptions(set$.subscriptions).toBe('---^-!');
    });
    expect(cache.set.mock.calls).toEqual([['key-1', { text: 'The answer.', createdAt: 3, planId: 'plan-1' }]]);
  });

  it('never writes an answer that came from the cache', () => {
    const event = guarded({ text: 'Cached.', fromCache: true });
    const cache = aCache();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-(g|)', { g: event }).pipe(storeAnswer(deps(cache)))).toBe('-(c|)', { c: complete(event) });
    });
    expect(cache.set).not.toHaveBeenCalled();
  });

  it('never writes a degraded answer, and completes degraded', () => {
    const event = guarded({ text: 'Fallback.', degraded: true });
    const cache = aCache();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-(g|)', { g: event }).pipe(storeAnswer(deps(cache))))
        .toBe('-(c|)', { c: { type: 'complete', requestId: 'r1', text: 'Fallback.', fromCache: false, degraded: true } });
    });
    expect(cache.set).not.toHaveBeenCalled();
  });

  it('writes nothing when caching is off or the answer has no key, and still completes', () => {
    const noKey = guarded({ key: null });
    const cache = aCache();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-(g|)', { g: noKey }).pipe(storeAnswer(deps(cache)))).toBe('-(c|)', { c: complete(noKey) });
      expectObservable(cold('-(g|)', { g: guarded() }).pipe(storeAnswer(deps(undefined)))).toBe('-(c|)', { c: complete(guarded()) });
    });
    expect(cache.set).not.toHaveBeenCalled();
  });

  it('reports a failing write and still emits complete', () => {
    const full = new Error('disk full');
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const set$ = cold<void>('   ---#', undefined, full);
      const source = cold('      -(g|)', { g: guarded() });
      expectObservable(source.pipe(storeAnswer({ ...d, cache: aCache(() => set$) }))).toBe('-(c|)', { c: complete(guarded()) });
      expectSubscriptions(set$.subscriptions).toBe('-^--!');
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(full, { requestId: 'r1', stage: 'cache-write' });
  });

  it('reports a write that throws on call and still emits complete', () => {
    const closed = new Error('store closed');
    const d = deps(aCache(() => { throw closed; }));
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-(g|)', { g: guarded() }).pipe(storeAnswer(d))).toBe('-(c|)', { c: complete(guarded()) });
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(closed, { requestId: 'r1', stage: 'cache-write' });
  });

  it('keeps the write running when the caller unsubscribes right after complete', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const set$ = cold<void>('   -----|');
      const source = cold('      -g----', { g: guarded() });
      const unsub = '            ^-!';
      expectObservable(source.pipe(storeAnswer(deps(aCache(() => set$)))), unsub).toBe('-c', { c: complete(guarded()) });
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(set$.subscriptions).toBe('-^----!');
    });
  });

  it('subscribes the write on its own, detached, when no writer is given', () => {
    const full = new Error('disk full');
    const d = deps(undefined, false);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const set$ = cold<void>('   ---#', undefined, full);
      const source = cold('      -g----', { g: guarded() });
      expectObservable(source.pipe(storeAnswer({ ...d, cache: aCache(() => set$) })), '^-!').toBe('-c', { c: complete(guarded()) });
      expectSubscriptions(set$.subscriptions).toBe('-^--!');
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(full, { requestId: 'r1', stage: 'cache-write' });
  });

  it('abandons and reports a write slower than the writer\'s deadline (WRITE_TIMEOUT_FACTOR x cacheMs), unsubscribing it then', () => {
    const d = deps(undefined);
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expect(CACHE_MS * WRITE_TIMEOUT_FACTOR).toBe(50);
      const set$ = cold<void>('   60ms |');
      const source = cold('      -(g|)', { g: guarded() });
      expectObservable(source.pipe(storeAnswer({ ...d, cache: aCache(() => set$) }))).toBe('-(c|)', { c: complete(guarded()) });
      expectSubscriptions(set$.subscriptions).toBe('-^ 49ms !');
    });
    expect(d.reportSystemError).toHaveBeenCalledTimes(1);
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ _tag: 'CacheError', operation: 'set' }), { requestId: 'r1', stage: 'cache-write' });
    expect(d.writer?.pending()).toBe(0);
  });

  it('keeps a write that ends just within the deadline, with nothing reported', () => {
    const d = deps(undefined);
    newScheduler().run(({ cold, expectSubscriptions, flush }) => {
      const set$ = cold<void>('49ms |');
      cold('g|', { g: guarded() }).pipe(storeAnswer({ ...d, cache: aCache(() => set$) })).subscribe();
      expectSubscriptions(set$.subscriptions).toBe('^ 48ms !');
      flush();
    });
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('passes every other kind through as the same object, complete included, and writes nothing', () => {
    const cache = aCache();
    expectPassThrough(storeAnswer(deps(cache)), 'g');
    expect(cache.set).not.toHaveBeenCalled();
  });
});
