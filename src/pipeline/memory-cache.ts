/**
 * An in-process LRU cache: the plugin's default store.
 */
import { Observable } from 'rxjs';
import type { CachedAnswer, ResponseCache } from '../ports';

/** Options of {@link memoryCache}. */
export interface MemoryCacheOptions {
  /** Most entries kept; beyond it the least recently used one is evicted. Default 1000. */
  readonly maxEntries?: number;
}

/**
 * A bounded in-memory cache over a `Map` (insertion order = recency order). `get`, `set` and
 * `delete` run synchronously when subscribed; a hit refreshes the entry's recency, and a `set`
 * beyond `maxEntries` evicts the least recently used entry. `close()` empties it.
 * Throws a TypeError when `maxEntries` is not a positive integer.
 */
export const memoryCache = ({ maxEntries = 1000 }: MemoryCacheOptions = {}): Required<ResponseCache> => {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError(`memoryCache: maxEntries must be a positive integer, got ${String(maxEntries)}`);
  }
  const entries = new Map<string, CachedAnswer>();
  /** Runs `operation` on subscribe and emits its result: one Observable per call (not `defer` + `of`). */
  const onSubscribe = <T>(operation: () => T): Observable<T> => new Observable<T>((subscriber) => {
    subscriber.next(operation());
    subscriber.complete();
  });
  return {
    get: (key: string): Observable<CachedAnswer | undefined> =>
      onSubscribe(() => {
        const value = entries.get(key);
        if (value !== undefined) {
          entries.delete(key); // re-insert: now the most recently used
          entries.set(key, value);
        }
        return value;
      }),
    set: (key: string, value: CachedAnswer): Observable<void> =>
      onSubscribe(() => {
        entries.delete(key);
        entries.set(key, value);
        for (const oldest of entries.keys()) {
          if (entries.size <= maxEntries) break;
          entries.delete(oldest);
        }
      }),
    delete: (key: string): Observable<void> =>
      onSubscribe(() => {
        entries.delete(key);
      }),
    close: async (): Promise<void> => {
      entries.clear();
    },
  };
};
