import Keyv from 'keyv';
import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import { CacheError } from '../../src/errors';
import type { CachedAnswer } from '../../src/ports';
import { keyvCache } from '../../src/sources/keyv-cache';

const answer: CachedAnswer = { text: 'the answer', createdAt: 1_700_000_000_000, planId: 'plan-1' };

/** A Keyv store adapter over a Map whose every method is a jest spy. */
const spyStore = () => {
  const data = new Map<string, unknown>();
  return {
    data,
    get: jest.fn(async (key: string) => data.get(key)),
    set: jest.fn(async (key: string, value: unknown) => {
      data.set(key, value);
      return true;
    }),
    delete: jest.fn(async (key: string) => data.delete(key)),
    clear: jest.fn(async () => data.clear()),
    disconnect: jest.fn(async () => undefined),
  };
};

const failingStore = (error: Error) => ({
  get: jest.fn(async () => {
    throw error;
  }),
  set: jest.fn(() => {
    throw error; // synchronous throw, not a rejection
  }),
  delete: jest.fn(async () => {
    throw error;
  }),
  clear: jest.fn(async () => undefined),
});

describe('keyvCache', () => {
  it('returns a stored answer, then undefined after delete', async () => {
    const cache = keyvCache(new Keyv());
    await lastValueFrom(cache.set('k', answer));
    expect(await firstValueFrom(cache.get('k'))).toEqual(answer);
    expect(await firstValueFrom(cache.get('missing'))).toBeUndefined();
    await lastValueFrom(cache.delete('k'));
    expect(await firstValueFrom(cache.get('k'))).toBeUndefined();
    await cache.close();
  });

  it('touches the store only on subscribe', async () => {
    const store = spyStore();
    const cache = keyvCache(new Keyv({ store }));
    const set$ = cache.set('k', answer);
    const get$ = cache.get('k');
    const delete$ = cache.delete('k');
    await Promise.resolve();
    expect(store.set).not.toHaveBeenCalled();
    expect(store.get).not.toHaveBeenCalled();
    expect(store.delete).not.toHaveBeenCalled();
    await lastValueFrom(set$);
    expect(store.set).toHaveBeenCalledTimes(1);
    expect(await firstValueFrom(get$)).toEqual(answer);
    expect(store.get).toHaveBeenCalledTimes(1);
    await lastValueFrom(delete$);
    expect(store.delete).toHaveBeenCalledTimes(1);
  });

  it('returns whatever record was stored, without validating it', async () => {
    const store = spyStore();
    const cache = keyvCache(new Keyv({ store, namespace: 'ns' }));
    store.data.set('ns:k', JSON.stringify({ value: { text: 42, bogus: true }, expires: null }));
    expect(await firstValueFrom(cache.get('k'))).toEqual({ text: 42, bogus: true });
  });

  it.each(['get', 'set', 'delete'] as const)('errors with a CacheError when the store fails on %s', async (operation) => {
    const cause = new Error('connection reset');
    const cache = keyvCache(new Keyv({ store: failingStore(cause) }));
    const op$: Observable<unknown> = operation === 'get' ? cache.get('k') : operation === 'set' ? cache.set('k', answer) : cache.delete('k');
    const error = await lastValueFrom(op$).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toEqual(expect.objectContaining({ _tag: 'CacheError', operation, cause }));
    expect(CacheError.isInstance(error)).toBe(true);
  });

  it('errors with a CacheError when the store refuses a set', async () => {
    const store = spyStore();
    store.set.mockResolvedValueOnce(false);
    const cache = keyvCache(new Keyv({ store }));
    await expect(lastValueFrom(cache.set('k', answer))).rejects.toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'set' }));
  });

  it('keeps the stored value out of the error message when decoding fails', async () => {
    const store = spyStore();
    const cache = keyvCache(new Keyv({ store, namespace: 'ns' }));
    store.data.set('ns:k', 'secret-payload{');
    const error = await firstValueFrom(cache.get('k')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'decode' }));
    expect((error as Error).message).not.toContain('secret-payload');
  });

  it('forwards Keyv error events to onError instead of crashing', async () => {
    const onError = jest.fn();
    const cause = new Error('store down');
    const keyv = new Keyv({ store: failingStore(cause) });
    const cache = keyvCache(keyv, { onError });
    keyv.emit('error', new Error('from the adapter'));
    await lastValueFrom(cache.set('k', answer)).catch(() => undefined);
    expect(onError.mock.calls).toEqual([[new Error('from the adapter')], [cause]]);
  });

  it('passes ttlMs to every set', async () => {
    const store = spyStore();
    const keyv = new Keyv({ store });
    const set = jest.spyOn(keyv, 'set');
    const cache = keyvCache(keyv, { ttlMs: 60_000 });
    const before = Date.now();
    await lastValueFrom(cache.set('k', answer));
    expect(set).toHaveBeenCalledWith('k', answer, 60_000);
    const stored = JSON.parse(store.data.get('keyv:k') as string) as { expires: number };
    expect(stored.expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(stored.expires).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('stores without an expiry when ttlMs is not given', async () => {
    const store = spyStore();
    const cache = keyvCache(new Keyv({ store }));
    await lastValueFrom(cache.set('k', answer));
    expect(JSON.parse(store.data.get('keyv:k') as string)).toEqual({ value: answer });
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('throws a TypeError when ttlMs is %p', (ttlMs) => {
    expect(() => keyvCache(new Keyv(), { ttlMs })).toThrow(TypeError);
  });

  it('waits for operations in flight, then disconnects, on close', async () => {
    const store = spyStore();
    let release!: () => void;
    store.set.mockImplementationOnce(
      (key: string, value: unknown) =>
        new Promise<boolean>((resolve) => {
          release = () => resolve(store.data.set(key, value) !== undefined);
        }),
    );
    const cache = keyvCache(new Keyv({ store }));
    const written = lastValueFrom(cache.set('k', answer));
    await Promise.resolve();
    let closed = false;
    const closing = cache.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    expect(store.disconnect).not.toHaveBeenCalled();
    release();
    await closing;
    await written;
    expect(store.disconnect).toHaveBeenCalledTimes(1);
    expect(store.data.has('keyv:k')).toBe(true);
    await cache.close();
    expect(store.disconnect).toHaveBeenCalledTimes(1);
  });

  it('stops waiting on close for an operation its caller gives up on, also after close has begun', async () => {
    const store = spyStore();
    store.set.mockImplementationOnce(() => new Promise<boolean>(() => undefined)); // a store that never answers
    const cache = keyvCache(new Keyv({ store }));
    const subscription = cache.set('k', answer).subscribe();
    await Promise.resolve();
    let closed = false;
    const closing = cache.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    subscription.unsubscribe();
    await closing;
    expect(store.disconnect).toHaveBeenCalledTimes(1);
  });

  it('errors with a CacheError for an operation after close', async () => {
    const store = spyStore();
    const cache = keyvCache(new Keyv({ store }));
    await cache.close();
    await expect(firstValueFrom(cache.get('k'))).rejects.toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    expect(store.get).not.toHaveBeenCalled();
  });
});
