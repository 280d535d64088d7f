/** The plugin with a real Redis cache: hits across replicas, corrupt records, Redis going down and coming back. */
import { lastValueFrom, toArray } from 'rxjs';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { DialoguePluginOptions } from '../../src/pipeline/options';
import type { CacheEvent, PipelineEvent } from '../../src/events';
import { redisCache } from '../../src/sources/redis-cache';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../support/redis-server';

jest.setTimeout(20_000);

const experts = () => [simulatedExpert({ id: 'a', answer: 'the cached answer' }), simulatedExpert({ id: 'b', answer: 'the other answer' })];
const run = (plugin: DialoguePlugin, prompt: string): Promise<PipelineEvent[]> => lastValueFrom(plugin.process(prompt).pipe(toArray()));
const cacheEventOf = (events: PipelineEvent[]) => events.find((e): e is CacheEvent => e.type === 'cache');
const metricsOf = (events: PipelineEvent[]) =>
  (events.find((e) => e.type === 'metrics') as { metrics: { cacheFault?: string; stages: { cache?: number } } }).metrics;
const last = (events: PipelineEvent[]) => events[events.length - 1];

describe('DialoguePlugin with a Redis cache', () => {
  let redis: TestRedis;
  let plugins: DialoguePlugin[];
  let raws: Array<Awaited<ReturnType<typeof connectRaw>>>;
  const plugin = (options: Partial<DialoguePluginOptions> = {}) => {
    const cache = options.cache ?? redisCache({ url: redis.url, namespace: redis.namespace });
    const created = new DialoguePlugin({ experts: experts(), ...options, cache });
    plugins.push(created);
    return created;
  };
  const raw = async () => {
    const client = await connectRaw(redis.url);
    raws.push(client);
    return client;
  };

  beforeEach(() => {
    plugins = [];
    raws = [];
  });
  afterEach(async () => {
    await Promise.all(plugins.map((p) => p.close()));
    raws.forEach((client) => client.isOpen && client.destroy());
    await redis.stop();
  });

  describe('on a running server', () => {
    beforeEach(async () => { redis = await startRedis(); });

    it("serves a replica a hit from another instance's answer", async () => {
      const first = plugin();
      const key = cacheEventOf(await run(first, 'remember me'))!.key;
      const client = await raw();
      await pollUntil('the answer to be stored', async () => (await client.exists(`${redis.namespace}::${key}`)) === 1);
      const replicaExperts = experts();
      // A brand-new client connects on its first lookup: give it more than the default 100 ms on a
      // busy CI machine (this test is about sharing answers; lookup deadlines are tested elsewhere).
      const replica = plugin({ experts: replicaExperts, timeouts: { cacheMs: 5_000 } });
      const events = await run(replica, 'remember me');
      expect(cacheEventOf(events)).toEqual(expect.objectContaining({ hit: true, key }));
      expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: true, text: 'the cached answer' }));
      expect(replicaExperts.map((e) => e.stats.started)).toEqual([0, 0]);
    });

    it.each([
      ['malformed JSON', 'not json at all{'],
      ['a record of the wrong shape', JSON.stringify({ value: { text: 7 }, expires: null })],
    ])('treats %s as a miss, deletes it, completes, and stores a good record again', async (_name, garbage) => {
      const reports: unknown[] = [];
      const cache = redisCache({ url: redis.url, namespace: redis.namespace });
      const deletes = jest.spyOn(cache, 'delete');
      const p = plugin({ cache, onSystemError: (error) => reports.push(error), timeouts: { cacheMs: 5_000 } }); // see above: first connect
      const key = cacheEventOf(await run(p, 'corrupt me'))!.key;
      const client = await raw();
      const stored = `${redis.namespace}::${key}`;
      await pollUntil('the answer to be stored', async () => (await client.exists(stored)) === 1);
      await client.set(stored, garbage);
      const events = await run(p, 'corrupt me');
      expect(cacheEventOf(events)?.hit).toBe(false);
      expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false, text: 'the cached answer' }));
      expect(metricsOf(events).cacheFault).toBe('corrupt');
      expect(reports).toEqual([expect.objectContaining({ _tag: 'CacheError', operation: 'decode' })]);
      await p.close(); // waits for the delete and the new write
      expect(deletes).toHaveBeenCalledWith(key);
      expect(JSON.parse((await client.get(stored)) ?? 'null').value).toEqual(expect.objectContaining({ text: 'the cached answer' }));
    });
  });

  describe('on a private server that goes down', () => {
    beforeEach(async () => { redis = await startRedis({ private: true }); });

    it('completes with a quick cache miss while Redis is down, and hits again once it is back', async () => {
      const p = plugin();
      expect(cacheEventOf(await run(p, 'warm up'))?.hit).toBe(false);
      await redis.stop();

      const events = await run(p, 'warm up');
      expect(cacheEventOf(events)?.hit).toBe(false);
      expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false, text: 'the cached answer' }));
      expect(['error', 'timeout']).toContain(metricsOf(events).cacheFault);
      // Fails fast: the offline client refuses commands at once, far under the 100 ms lookup timeout.
      const down = await run(p, 'while down');
      expect(metricsOf(down).cacheFault).toBe('error');
      expect(metricsOf(down).stages.cache).toBeLessThan(100);
      expect(last(down).type).toBe('complete');

      await redis.restart(); // empty: --save ''
      await pollUntil('a cache hit after the restart', async () => cacheEventOf(await run(p, 'after restart'))?.hit === true, { timeoutMs: 10_000, everyMs: 20 });
      const hit = await run(p, 'after restart');
      expect(last(hit)).toEqual(expect.objectContaining({ type: 'complete', fromCache: true, text: 'the cached answer' }));
      expect(metricsOf(hit).cacheFault).toBeUndefined();
    });
  });
});
