/**
 * Closing redisCache and redisCoordinator (alone and inside a DialoguePlugin) ends, whatever
 * Redis does: frozen mid-operation (SIGSTOP: the sockets stay up, nothing answers), frozen
 * before the handshake, never reachable, or restarting.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { CacheError, CoordinationError } from '../../src/errors';
import type { PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { CachedAnswer } from '../../src/ports';
import { redisCache } from '../../src/sources/redis-cache';
import { redisCoordinator } from '../../src/sources/redis-coordinator';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../support/redis-server';

jest.setTimeout(20_000);

const answer: CachedAnswer = { text: 'the answer', createdAt: 1_700_000_000_000, planId: 'plan-1' };
const settle = <T>(promise: Promise<T>): Promise<unknown> => promise.then(() => 'resolved', (error: unknown) => error);

describe('closing Redis sources', () => {
  let redis: TestRedis;
  let frozen = false;
  const freeze = (): void => {
    process.kill(redis.pid()!, 'SIGSTOP');
    frozen = true;
  };
  const thaw = (): void => {
    if (frozen) process.kill(redis.pid()!, 'SIGCONT');
    frozen = false;
  };

  beforeEach(async () => { redis = await startRedis({ private: true }); });
  afterEach(async () => {
    thaw();
    await redis.stop();
  });

  it('a DialoguePlugin with redisCache and redisCoordinator closes within 2 s while Redis is frozen, a cache write in flight', async () => {
    const cacheErrors: unknown[] = [];
    const coordinationErrors: unknown[] = [];
    const plugin = new DialoguePlugin({
      experts: [simulatedExpert({ id: 'a', answer: 'one two three four', firstTokenDelayMs: 5, tokenDelayMs: 30 })],
      cache: redisCache({ url: redis.url, namespace: redis.namespace, onError: (error) => cacheErrors.push(error) }),
      coordination: redisCoordinator({ url: redis.url, namespace: redis.namespace, onError: (error) => coordinationErrors.push(error) }),
    });
    const raw = await connectRaw(redis.url);
    try {
      // Connected and working: the first answer lands in Redis.
      const first = await lastValueFrom(plugin.process('first question').pipe(toArray()));
      expect(first.at(-1)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
      await pollUntil('the first answer in Redis', async () => (await raw.keys(`${redis.namespace}::*`)).length === 1);

      // Frozen while the second request streams: it still completes, and its cache write hangs.
      const events: PipelineEvent[] = [];
      const second = lastValueFrom(plugin.process('second question').pipe(toArray()));
      const sub = plugin.process('third question').subscribe((event) => {
        events.push(event);
        if (event.type === 'token' && !frozen) freeze();
      });
      expect((await second).at(-1)).toEqual(expect.objectContaining({ type: 'complete' }));
      await pollUntil('the third request to end', () => sub.closed);
      expect(frozen).toBe(true);
      expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'complete' }));

      const started = performance.now();
      await plugin.close();
      expect(performance.now() - started).toBeLessThan(2000);
      expect(coordinationErrors).toContainEqual(expect.objectContaining({ _tag: 'CoordinationError' }));
    } finally {
      thaw();
      raw.destroy();
    }
  });

  it('redisCache: an operation on a frozen Redis fails after opTimeoutMs; close() drops the connection after closeTimeoutMs and says so', async () => {
    const onError = jest.fn();
    const cache = redisCache({ url: redis.url, namespace: redis.namespace, opTimeoutMs: 300, closeTimeoutMs: 200, onError });
    await lastValueFrom(cache.set('k', answer));
    freeze();
    const lookup = await settle(firstValueFrom(cache.get('k')));
    expect(lookup).toEqual(new CacheError('get', 'Redis did not answer within 300 ms'));
    const write = settle(lastValueFrom(cache.set('k2', answer)));
    await cache.close();
    expect(onError).toHaveBeenCalledWith(new CacheError('close', 'Redis did not answer within 200 ms while closing; the connection was dropped'));
    expect(await write).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'set' }));
  });

  it('redisCache and redisCoordinator close when Redis froze before their handshake', async () => {
    freeze(); // the kernel still accepts the TCP connection; the handshake never gets an answer
    const cacheErrors: unknown[] = [];
    const coordinationErrors: unknown[] = [];
    const cache = redisCache({ url: redis.url, opTimeoutMs: 200, closeTimeoutMs: 200, onError: (error) => cacheErrors.push(error) });
    const coordinator = redisCoordinator({ url: redis.url, opTimeoutMs: 200, closeTimeoutMs: 200, onError: (error) => coordinationErrors.push(error) });
    expect(await settle(firstValueFrom(cache.get('k')))).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    expect(await settle(firstValueFrom(coordinator.claim('k')))).toEqual(expect.objectContaining({ _tag: 'CoordinationError', operation: 'claim' }));
    await Promise.all([cache.close(), coordinator.close()]);
    expect(cacheErrors).toContainEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'close' }));
    expect(coordinationErrors).toContainEqual(expect.objectContaining({ _tag: 'CoordinationError', operation: 'close' }));
  });

  it('redisCoordinator: a claim on a frozen Redis fails after opTimeoutMs; close() ends its flight, drops the connection and says so', async () => {
    const onError = jest.fn();
    const coordinator = redisCoordinator({ url: redis.url, namespace: redis.namespace, opTimeoutMs: 300, closeTimeoutMs: 200, onError });
    const roles: string[] = [];
    const led = coordinator.claim('led').subscribe((claim) => roles.push(claim.role));
    await pollUntil('the lead', () => roles.length > 0);
    expect(roles).toEqual(['leader']);
    freeze();
    expect(await settle(firstValueFrom(coordinator.claim('other')))).toEqual(new CoordinationError('claim', 'coordination claim took longer than 300 ms'));
    const cancelled = await firstValueFrom(coordinator.cancelAnywhere('nobody'));
    expect(cancelled).toBe(false);
    await coordinator.close(); // ends the flight it leads: its release is the command left in flight
    expect(led.closed).toBe(true);
    expect(onError).toHaveBeenCalledWith(new CoordinationError('close', 'Redis did not answer within 200 ms while closing; the connection was dropped'));
  });

  it('both close at once when Redis was never reachable', async () => {
    await redis.stop();
    const cacheErrors: unknown[] = [];
    const coordinationErrors: unknown[] = [];
    const cache = redisCache({ url: redis.url, onError: (error) => cacheErrors.push(error) });
    const coordinator = redisCoordinator({ url: redis.url, onError: (error) => coordinationErrors.push(error) });
    expect(await settle(firstValueFrom(cache.get('k')))).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    expect(await settle(firstValueFrom(coordinator.claim('k')))).toEqual(expect.objectContaining({ _tag: 'CoordinationError' }));
    await Promise.all([cache.close(), coordinator.close()]);
    // Nothing was in flight: no deadline was needed.
    expect(cacheErrors).not.toContainEqual(expect.objectContaining({ operation: 'close' }));
    expect(coordinationErrors).not.toContainEqual(expect.objectContaining({ operation: 'close' }));
  });

  it('both close while Redis restarts, and do not reconnect afterwards', async () => {
    const cache = redisCache({ url: redis.url, namespace: redis.namespace });
    const coordinator = redisCoordinator({ url: redis.url, namespace: redis.namespace });
    const control = redisCache({ url: redis.url, namespace: redis.namespace }); // left open: it reconnects
    await lastValueFrom(cache.set('k', answer));
    expect((await firstValueFrom(coordinator.claim('k'))).role).toBe('leader');
    await redis.stop();
    await pollUntil('the cache to notice', async () => (await settle(firstValueFrom(cache.get('k')))) !== 'resolved');
    const restarted = redis.restart();
    await Promise.all([cache.close(), coordinator.close()]);
    await restarted;
    const raw = await connectRaw(redis.url);
    try {
      await pollUntil('the control cache to reconnect', async () => (await settle(lastValueFrom(control.set('k', answer)))) === 'resolved', { timeoutMs: 10_000 });
      expect((await raw.clientList()).length).toBe(2); // this one and the control: the closed ones stayed away
    } finally {
      raw.destroy();
      await control.close();
    }
  });
});
