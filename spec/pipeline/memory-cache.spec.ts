import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { CachedAnswer } from '../../src/ports';
import { cachedBytes, memoryCache } from '../../src/pipeline/memory-cache';

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

  describe('maxBytes', () => {
    /** An answer whose entry under a one-character key counts exactly `bytes`. */
    const sized = (bytes: number, mark = 'x'): CachedAnswer => {
      const overhead = cachedBytes('k', answer(''));
      return answer(mark.repeat((bytes - overhead) / 2));
    };
    const kept = async (cache: ReturnType<typeof memoryCache>, keys: string[]) => {
      const found: string[] = [];
      for (const key of keys) if ((await firstValueFrom(cache.get(key))) !== undefined) found.push(key);
      return found;
    };

    it('counts 2 bytes per character of key, text and plan id, plus 96', () => {
      expect(cachedBytes('key', { text: 'hello', createdAt: 1, planId: 'plan-1' })).toBe(2 * (3 + 5 + 6) + 96);
    });

    it('evicts least recently used entries until the bytes fit, a get refreshing recency', async () => {
      const cache = memoryCache({ maxBytes: 3000 });
      await lastValueFrom(cache.set('a', sized(1000)));
      await lastValueFrom(cache.set('b', sized(1000)));
      await lastValueFrom(cache.set('c', sized(1000)));
      expect(await firstValueFrom(cache.get('a'))).toBeDefined(); // 'b' is now the oldest
      await lastValueFrom(cache.set('d', sized(1000)));
      expect(await kept(cache, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
      await lastValueFrom(cache.set('e', sized(2000))); // needs two entries' room: the oldest two go
      expect(await kept(cache, ['a', 'b', 'c', 'd', 'e'])).toEqual(['d', 'e']);
    });

    it('keeps nothing for an answer larger than maxBytes alone, and drops what the key held', async () => {
      const cache = memoryCache({ maxBytes: 3000 });
      await lastValueFrom(cache.set('a', sized(1000)));
      await lastValueFrom(cache.set('b', sized(1000)));
      await lastValueFrom(cache.set('b', sized(3002)));
      expect(await kept(cache, ['a', 'b'])).toEqual(['a']);
      await lastValueFrom(cache.set('c', sized(3000))); // exactly the budget: kept, alone
      expect(await kept(cache, ['a', 'c'])).toEqual(['c']);
    });

    it('frees the bytes of replaced and deleted entries', async () => {
      const cache = memoryCache({ maxBytes: 3000 });
      await lastValueFrom(cache.set('a', sized(1000)));
      await lastValueFrom(cache.set('a', sized(1000, 'y')));
      await lastValueFrom(cache.set('b', sized(1000)));
      await lastValueFrom(cache.delete('b'));
      await lastValueFrom(cache.set('c', sized(1000)));
      await lastValueFrom(cache.set('d', sized(1000)));
      expect(await kept(cache, ['a', 'c', 'd'])).toEqual(['a', 'c', 'd']);
      await cache.close();
      await lastValueFrom(cache.set('e', sized(3000)));
      expect(await kept(cache, ['e'])).toEqual(['e']);
    });

    it('stays within 64 MiB by default however long the answers', async () => {
      const cache = memoryCache();
      const long = 'x'.repeat(1024 * 1024); // 2 MiB counted per entry
      for (let i = 0; i < 100; i++) await lastValueFrom(cache.set(`k${i}`, answer(long)));
      const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
      const found = await kept(cache, keys);
      expect(found.length * cachedBytes('k99', answer(long))).toBeLessThanOrEqual(64 * 1024 * 1024);
      expect(found).toEqual(keys.slice(100 - found.length));
      expect(found.length).toBe(31);
    });

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('throws a TypeError when maxBytes is %p', (maxBytes) => {
      expect(() => memoryCache({ maxBytes })).toThrow(new TypeError(`memoryCache: maxBytes must be a positive integer, got ${String(maxBytes)}`));
    });
  });
});
