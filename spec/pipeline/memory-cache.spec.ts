import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { CachedAnswer } from '../../src/ports';
import { memoryCache } from '../../src/pipeline/memory-cache';

const answer = (text: string): CachedAnswer => ({ text, createdAt: 1, planId: 'plan-1' });

describe('memoryCache', () => {
  it('returns a stored answer and undefined for a miss', async () => {
    const cache = memoryCache();
    await lastValueFrom(cache.set('k', answer('hello')));
    expect(await firstValueFrom(cache.get('k'))).toEqual(answer('hello'));
    expect(await firstValueFrom(cache.get('other'))).toBeUndefined();
  });

  it('runs get and set synchronously on subscribe, and not before', () => {
    const cache = memoryCache();
    const set$ = cache.set('k', answer('a'));
    const seen: Array<CachedAnswer | undefined> = [];
    cache.get('k').subscribe((value) => seen.push(value));
    set$.subscribe();
    cache.get('k').subscribe((value) => seen.push(value));
    expect(seen).toEqual([undefined, answer('a')]);
  });

  it('evicts the least recently used entry beyond maxEntries, a get refreshing recency', async () => {
    const cache = memoryCache({ maxEntries: 2 });
    await lastValueFrom(cache.set('a', answer('A')));
    await lastValueFrom(cache.set('b', answer('B')));
    expect(await firstValueFrom(cache.get('a'))).toEqual(answer('A')); // 'b' is now the oldest
    await lastValueFrom(cache.set('c', answer('C')));
    expect(await firstValueFrom(cache.get('b'))).toBeUndefined();
    expect(await firstValueFrom(cache.get('c'))).toEqual(answer('C'));
    expect(await firstValueFrom(cache.get('a'))).toEqual(answer('A'));
    await lastValueFrom(cache.set('d', answer('D'))); // 'c' is now the oldest
    expect(await firstValueFrom(cache.get('c'))).toBeUndefined();
    expect(await firstValueFrom(cache.get('a'))).toEqual(answer('A'));
    expect(await firstValueFrom(cache.get('d'))).toEqual(answer('D'));
  });

  it('keeps no more than maxEntries entries after many sets', async () => {
    const cache = memoryCache({ maxEntries: 3 });
    for (let i = 0; i < 100; i++) await lastValueFrom(cache.set(`k${i}`, answer(String(i))));
    const hits: string[] = [];
    for (let i = 0; i < 100; i++) {
      const value = await firstValueFrom(cache.get(`k${i}`));
      if (value !== undefined) hits.push(value.text);
    }
    expect(hits).toEqual(['97', '98', '99']);
  });

  it('overwrites an existing key without evicting another', async () => {
    const cache = memoryCache({ maxEntries: 2 });
    await lastValueFrom(cache.set('a', answer('A')));
    await lastValueFrom(cache.set('b', answer('B')));
    await lastValueFrom(cache.set('a', answer('A2')));
    expect(await firstValueFrom(cache.get('a'))).toEqual(answer('A2'));
    expect(await firstValueFrom(cache.get('b'))).toEqual(answer('B'));
  });

  it('removes an entry on delete', async () => {
    const cache = memoryCache();
    await lastValueFrom(cache.set('a', answer('A')));
    await lastValueFrom(cache.set('b', answer('B')));
    await lastValueFrom(cache.delete('a'));
    expect(await firstValueFrom(cache.get('a'))).toBeUndefined();
    expect(await firstValueFrom(cache.get('b'))).toEqual(answer('B'));
    await expect(lastValueFrom(cache.delete('missing'))).resolves.toBeUndefined();
  });

  it('clears every entry on close', async () => {
    const cache = memoryCache();
    await lastValueFrom(cache.set('a', answer('A')));
    await cache.close();
    expect(await firstValueFrom(cache.get('a'))).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])(
    'throws a TypeError when maxEntries is %p',
    (maxEntries) => {
      expect(() => memoryCache({ maxEntries })).toThrow(new TypeError(`memoryCache: maxEntries must be a positive integer, got ${String(maxEntries)}`));
    },
  );
});
