import { ClientOfflineError } from '@redis/client';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { CacheError } from '../../src/errors';
import type { CachedAnswer, ResponseCache } from '../../src/ports';
import { redisCache, type RedisCacheOptions } from '../../src/sources/redis-cache';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../support/redis-server';

jest.setTimeout(20_000);

const answer: CachedAnswer = { text: 'the answer', createdAt: 1_700_000_000_000, planId: 'plan-1' };

const settle = <T>(promise: Promise<T>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

/** Tracks what a test opens, so afterEach closes it all. */
const resources = () => {
  let caches: ResponseCache[] = [];
  let raws: Array<Awaited<ReturnType<typeof connectRaw>>> = [];
  return {
    cache: (options: RedisCacheOptions) => {
      const cache = redisCache(options);
      caches.push(cache);
      return cache;
    },
    raw: async (url: string) => {
      const client = await connectRaw(url);
      raws.push(client);
      return client;
    },
    closeAll: async () => {
      await Promise.all(caches.map((cache) => cache.close()));
      raws.forEach((client) => client.isOpen && client.destroy());
      caches = [];
      raws = [];
    },
  };
};

describe('redisCache', () => {
  let redis: TestRedis;
  const opened = resources();
  beforeAll(async () => { redis = await startRedis(); });
  afterEach(() => opened.closeAll());
  afterAll(() => redis.stop());

  const open = (options: RedisCacheOptions = {}) => opened.cache({ url: redis.url, namespace: redis.namespace, ...options });

  it('returns a stored answer, undefined for a miss, and nothing after delete', async () => {
    const cache = open();
    await lastValueFrom(cache.set('k', answer));
    expect(await firstValueFrom(cache.get('k'))).toEqual(answer);
    expect(await firstValueFrom(cache.get('missing'))).toBeUndefined();
    await lastValueFrom(cache.delete('k'));
    expect(await firstValueFrom(cache.get('k'))).toBeUndefined();
    await expect(lastValueFrom(cache.delete('never-stored'))).resolves.toBeUndefined();
  });

  it('stores each record under <namespace>::<key>, with no expiry unless ttlMs is set', async () => {
    await lastValueFrom(open().set('k', answer));
    const raw = await opened.raw(redis.url);
    expect(await raw.keys(`${redis.namespace}*`)).toEqual([`${redis.namespace}::k`]);
    expect(await raw.pTTL(`${redis.namespace}::k`)).toBe(-1);
  });

  it('keeps namespaces apart', async () => {
    const a = open({ namespace: `${redis.namespace}:tenant-a` });
    const b = open({ namespace: `${redis.namespace}:tenant-b` });
    await lastValueFrom(a.set('k', answer));
    expect(await firstValueFrom(b.get('k'))).toBeUndefined();
    expect(await firstValueFrom(a.get('k'))).toEqual(answer);
  });

  it('sets a Redis expiry of ttlMs on each record', async () => {
    await lastValueFrom(open({ ttlMs: 60_000 }).set('k', answer));
    const raw = await opened.raw(redis.url);
    const pttl = await raw.pTTL(`${redis.namespace}::k`);
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('stops serving a record once its ttlMs has passed', async () => {
    const cache = open({ ttlMs: 30 });
    await lastValueFrom(cache.set('k', answer));
    const raw = await opened.raw(redis.url);
    await pollUntil('the record to expire', async () => (await raw.exists(`${redis.namespace}::k`)) === 0, { timeoutMs: 5000 });
    expect(await firstValueFrom(cache.get('k'))).toBeUndefined();
  });

  it('fails a get with a CacheError "decode", not quoting the value, for a record that is not JSON; delete removes it', async () => {
    const cache = open();
    const raw = await opened.raw(redis.url);
    await raw.set(`${redis.namespace}::k`, 'secret-garbage{');
    const error = await settle(firstValueFrom(cache.get('k')));
    expect(error).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'decode' }));
    expect((error as CacheError).cause).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).not.toContain('secret-garbage');
    await lastValueFrom(cache.delete('k'));
    expect(await raw.exists(`${redis.namespace}::k`)).toBe(0);
  });

  it('returns a well-formed but invalid record as stored, for the pipeline to reject', async () => {
    const raw = await opened.raw(redis.url);
    await raw.set(`${redis.namespace}::k`, JSON.stringify({ value: { text: 42 }, expires: null }));
    expect(await firstValueFrom(open().get('k'))).toEqual({ text: 42 });
  });

  it('disconnects its own client on close, once, and fails later operations with a CacheError', async () => {
    const cache = redisCache({ url: redis.url, namespace: redis.namespace });
    await lastValueFrom(cache.set('k', answer));
    await cache.close();
    await cache.close();
    await expect(firstValueFrom(cache.get('k'))).rejects.toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    await expect(lastValueFrom(cache.set('k', answer))).rejects.toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'set' }));
  });

  it('uses a caller-provided client and leaves it open, without the cache listeners, on close', async () => {
    const client = await opened.raw(redis.url);
    const listenersBefore = client.listenerCount('error');
    const cache = redisCache({ client, namespace: redis.namespace });
    await lastValueFrom(cache.set('k', answer));
    expect(await client.get(`${redis.namespace}::k`)).toContain('the answer');
    expect(await firstValueFrom(cache.get('k'))).toEqual(answer);
    await cache.close();
    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe('PONG');
    expect(client.listenerCount('error')).toBe(listenersBefore);
  });

  it.each([
    ['an http URL', { url: 'http://127.0.0.1:6379' }],
    ['a URL that does not parse', { url: 'not a url' }],
    ['an empty URL', { url: '' }],
    ['both url and client', { url: 'redis://127.0.0.1:6379', client: {} as RedisCacheOptions['client'] }],
    ['a client that is not one', { client: {} as RedisCacheOptions['client'] }],
    ['an empty namespace', { namespace: '' }],
    ['a namespace with "::"', { namespace: 'a::b' }],
    ['a namespace with a space', { namespace: 'a b' }],
    ['a ttlMs of 0', { ttlMs: 0 }],
    ['a fractional ttlMs', { ttlMs: 1.5 }],
    ['a NaN ttlMs', { ttlMs: Number.NaN }],
    ['an opTimeoutMs of 0', { opTimeoutMs: 0 }],
    ['a fractional closeTimeoutMs', { closeTimeoutMs: 2.5 }],
  ])('throws a TypeError for %s', (_name, options: RedisCacheOptions) => {
    expect(() => redisCache(options)).toThrow(TypeError);
  });

  it('never quotes the URL (it may hold a password) when refusing it', () => {
    expect(() => redisCache({ url: 'http://user:hunter2@example.com' })).toThrow(new TypeError('redisCache: url must be a redis:// or rediss:// URL'));
  });
});

describe('redisCache when Redis goes down', () => {
  let redis: TestRedis;
  const opened = resources();
  beforeEach(async () => { redis = await startRedis({ private: true }); });
  afterEach(async () => {
    await opened.closeAll();
    await redis.stop();
  });

  const roundTrips = (cache: ResponseCache) => async (): Promise<boolean> => {
    try {
      await lastValueFrom(cache.set('k', answer));
      return (await firstValueFrom(cache.get('k')))?.text === answer.text;
    } catch {
      return false;
    }
  };

  it('fails each get at once with a CacheError while Redis is down, reports to onError, and works again once it is back', async () => {
    const onError = jest.fn();
    const cache = opened.cache({ url: redis.url, onError }); // default namespace: a private server
    await lastValueFrom(cache.set('k', answer));
    await redis.stop();
    // The client may first learn of the loss through a command on the dead socket.
    await pollUntil('the client to notice', async () => (await settle(firstValueFrom(cache.get('k')))) !== undefined);
    const started = performance.now();
    const error = await settle(firstValueFrom(cache.get('k')));
    expect(performance.now() - started).toBeLessThan(100);
    expect(error).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    expect((error as CacheError).cause).toBeInstanceOf(ClientOfflineError);
    expect(onError).toHaveBeenCalled();
    await redis.restart();
    await pollUntil('the client to reconnect', roundTrips(cache), { timeoutMs: 10_000 });
    const raw = await opened.raw(redis.url);
    expect(await raw.exists('dialogue::k')).toBe(1);
  });

  it('fails at once when Redis is down from the start, then connects once it is up', async () => {
    await redis.stop();
    const cache = opened.cache({ url: redis.url, namespace: redis.namespace });
    const started = performance.now();
    const error = await settle(firstValueFrom(cache.get('k')));
    expect(performance.now() - started).toBeLessThan(1000); // the first connection attempt, refused
    expect(error).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    await expect(lastValueFrom(cache.set('k', answer))).rejects.toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'set' }));
    await redis.restart();
    await pollUntil('the client to connect', roundTrips(cache), { timeoutMs: 10_000 });
  });

  it('closes while Redis is down without waiting for it', async () => {
    const cache = redisCache({ url: redis.url });
    await lastValueFrom(cache.set('k', answer));
    await redis.stop();
    await pollUntil('the client to notice', async () => (await settle(firstValueFrom(cache.get('k')))) !== undefined);
    await expect(cache.close()).resolves.toBeUndefined();
  });
});
