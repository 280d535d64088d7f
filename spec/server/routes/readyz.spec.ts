import { redisCache } from '../../../src/sources/redis-cache';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { memoryCache } from '../../../src/pipeline/memory-cache';
import { DialoguePlugin } from '../../../src/pipeline/dialogue-plugin';
import { createDialogueServer } from '../../../src/server/create-dialogue-server';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../../support/redis-server';
import { series, startDialogueServer, type Running } from '../server-fixtures';

const experts = [simulatedExpert({ id: 'a' })];

describe('GET /readyz', () => {
  let running: Running | undefined;
  let redis: TestRedis | undefined;
  let frozen = false;
  afterEach(async () => {
    if (frozen) process.kill(redis!.pid()!, 'SIGCONT');
    await running?.close();
    await redis?.stop();
    running = redis = undefined;
    frozen = false;
  });

  const probe = async (method = 'GET') => {
    const response = await fetch(`${running!.origin}/readyz`, { method });
    return { status: response.status, body: method === 'HEAD' ? undefined : await response.json() as unknown };
  };
  const ready = async () => series(await (await fetch(`${running!.origin}/metrics`)).text(), 'dialogue_ready');

  it('answers 200 without an API key when the cache answers, and leaves no record in it', async () => {
    redis = await startRedis();
    const cache = redisCache({ url: redis.url, namespace: redis.namespace });
    running = await startDialogueServer({ experts, cache }, { apiKey: 'secret', readiness: { cache } });
    expect(await probe()).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await probe('HEAD')).toEqual({ status: 200, body: undefined });
    expect((await fetch(`${running.origin}/v1/models`)).status).toBe(401);
    const raw = await connectRaw(redis.url);
    try {
      expect(await raw.keys(`${redis.namespace}*`)).toEqual([]);
    } finally {
      raw.destroy();
    }
  });

  it('answers 200 when there is no cache to probe', async () => {
    running = await startDialogueServer({ experts });
    expect(await probe()).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('answers 503 cache-error while Redis is down, and 200 again once it is back; dialogue_ready follows', async () => {
    redis = await startRedis({ private: true });
    const cache = redisCache({ url: redis.url });
    running = await startDialogueServer({ experts, cache }, { readiness: { cache } });
    expect(await probe()).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await ready()).toBe(1);
    await redis.stop();
    await pollUntil('/readyz to see Redis down', async () => (await probe()).status === 503);
    expect(await probe()).toEqual({ status: 503, body: { status: 'unready', reason: 'cache-error', message: 'The cache failed to answer' } });
    expect(await ready()).toBe(0);
    expect((await fetch(`${running.origin}/healthz`)).status).toBe(200);
    await redis.restart();
    await pollUntil('/readyz to see Redis back', async () => (await probe()).status === 200);
    expect(await ready()).toBe(1);
  });

  it('answers 503 cache-timeout when the cache does not answer within the deadline (a frozen Redis), and 200 once it answers again', async () => {
    redis = await startRedis({ private: true });
    const cache = redisCache({ url: redis.url, opTimeoutMs: 30_000 });
    running = await startDialogueServer({ experts, cache }, { readiness: { cache, timeoutMs: 100 } });
    expect(await probe()).toEqual({ status: 200, body: { status: 'ready' } });
    process.kill(redis.pid()!, 'SIGSTOP');
    frozen = true;
    expect(await probe()).toEqual({ status: 503, body: { status: 'unready', reason: 'cache-timeout', message: 'The cache did not answer within 100 ms' } });
    process.kill(redis.pid()!, 'SIGCONT');
    frozen = false;
    expect(await probe()).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('probes an in-process cache with a get of the reserved key', async () => {
    const cache = memoryCache();
    const seen: string[] = [];
    const watched = { ...cache, get: (key: string) => (seen.push(key), cache.get(key)) };
    running = await startDialogueServer({ experts, cache }, { readiness: { cache: watched } });
    expect(await probe()).toEqual({ status: 200, body: { status: 'ready' } });
    expect(seen).toEqual(['dialogue-pipeline:readiness-probe']);
  });

  it('refuses a readiness option that is not a cache or not a positive deadline', () => {
    const plugin = new DialoguePlugin({ experts, cache: false });
    expect(() => createDialogueServer({ plugin, readiness: { cache: {} as never, timeoutMs: 0 } })).toThrow(
      new TypeError('createDialogueServer: readiness.cache must be a ResponseCache; readiness.timeoutMs must be a positive integer'),
    );
  });
});
