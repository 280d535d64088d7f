/**
 * An in-process LRU cache: the plugin's default store.
 */
import { Observable } from 'rxjs';
import type { CachedAnswer, ResponseCache } from '../ports';

/** Options of {@link memoryCache}. */
export interface MemoryCacheOptions {
  /** Most entries kept; beyond it the least recently used one is evicted. Default 1000. */
  readonly maxEntries?: number;
  /**
   * Most bytes kept: each entry counts 2 bytes per character of its key, text and plan id, plus
   * 96 (an upper estimate of its heap size). Beyond it the least recently used entries are
   * evicted; an answer larger than this on its own is not kept. Default 64 MiB.
   */
  readonly maxBytes?: number;
}

/** Default {@link MemoryCacheOptions.maxBytes}: 64 MiB. */
export const DEFAULT_MEMORY_CACHE_BYTES = 64 * 1024 * 1024;

/** What an entry is counted as, besides its strings: the record, the map slot and the numbers. */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * The bytes `memoryCache` counts for an entry: its key's, text's and plan id's characters at 2
 * bytes each (V8 keeps Latin-1 text in 1, so the count errs high), plus a fixed 96 for the rest.
 */
export const cachedBytes = (key: string, value: CachedAnswer): number =>
  2 * (key.length + value.text.length + value.planId.length) + ENTRY_OVERHEAD_BYTES;

interface Entry { readonly value: CachedAnswer; readonly bytes: number }

const positiveInteger = (name: string, value: number): void => {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`memoryCache: ${name} must be a positive integer, got ${String(value)}`);
  }
};

/**
 * A bounded in-memory cache over a `Map` (insertion order = recency order), bounded both in
 * entries (`maxEntries`) and in bytes (`maxBytes`), so a few very long answers cannot grow it
 * past its budget. `get`, `set` and `delete` run synchronously when subscribed; a hit refreshes
 * the entry's recency, and a `set` beyond either bound evicts least recently used entries. A
 * `set` of an answer larger than `maxBytes` on its own keeps nothing (and drops an older entry
 * under that key). `close()` empties it.
 * Throws a TypeError when `maxEntries` or `maxBytes` is not a positive integer.
 */
export const memoryCache = ({ maxEntries = 1000, maxBytes = DEFAULT_MEMORY_CACHE_BYTES }: MemoryCacheOptions = {}): Required<ResponseCache> => {
  positiveInteger('maxEntries', maxEntries);
  positiveInteger('maxBytes', maxBytes);
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  /** Runs `operation` on subscribe and emits its result: one Observable per call (not `defer` + `of`). */
  const onSubscribe = <T>(operation: () => T): Observable<T> => new Observable<T>((subscriber) => {
    subscriber.next(operation());
    subscriber.complete();
  });
  return {
    get: (key: string): Observable<CachedAnswer | undefined> =>
      onSubscribe(() => {
        const entry = entries.get(key);
        if (entry === undefined) return undefined;
        entries.delete(key); // re-insert: now the most recently used
        entries.set(key, entry);
        return entry.value;
      }),
    set: (key: string, value: CachedAnswer): Observable<void> =>
      onSubscribe(() => {
        remove(key);
        const size = cachedBytes(key, value);
        if (size > maxBytes) return;
        entries.set(key, { value, bytes: size });
        bytes += size;
        for (const [oldest, entry] of entries) {
          if (entries.size <= maxEntries && bytes <= maxBytes) break;
          entries.delete(oldest);
          bytes -= entry.bytes;
        }
      }),
    delete: (key: string): Observable<void> =>
      onSubscribe(() => {
        remove(key);
      }),
    close: async (): Promise<void> => {
      entries.clear();
      bytes = 0;
    },
  };
};
