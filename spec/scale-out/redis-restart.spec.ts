/**
 * Redis (a private server) goes away and comes back, empty, while replicas work: requests in
 * flight still end, requests while it is down are answered without cache and coordination,
 * and once it is back the coordinators reconnect (a cross-replica cancel works again).
 */
import type { PipelineEvent } from '../../src/events';
import { pollUntil, startRedis, type TestRedis } from '../support/redis-server';
import { startReplicas, stopReplicas, type Replica } from '../support/replica-cluster';

jest.setTimeout(60_000);

const BOUND_MS = 15_000;

const cacheEventOf = (events: readonly PipelineEvent[]) => events.find((e) => e.type === 'cache');

describe('Redis restarted mid-run', () => {
  let redis: TestRedis;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    redis = await startRedis({ private: true });
    replicas = await startReplicas(2, { redisUrl: redis.url, namespace: redis.namespace, env: { LONG_WORDS: '60' } }, 'x');
  });

  afterAll(async () => {
    await stopReplicas(replicas);
    await redis?.stop();
  });

  it('ends requests in flight, answers without Redis while it is down, and reconnects', async () => {
    const [a, b] = replicas;
    // A leads, B follows the same prompt.
    const prompt = `[long] survive a redis restart ${Date.now()}`;
    const led = a.process(prompt, 'restart-a', BOUND_MS);
    await led.firstToken;
    const followed = b.process(prompt, 'restart-b', BOUND_MS);
    await followed.firstToken;

    const stoppedAt = Date.now();
    await redis.stop();
    const terminals = await Promise.all([led.done, followed.done]);
    console.log(`with Redis gone, the requests in flight ended in ${Date.now() - stoppedAt} ms: ${terminals.map((t) => t.type).join(', ')}`);
    for (const terminal of terminals) expect(['complete', 'error']).toContain(terminal.type);
    expect(terminals.some((t) => t.type === 'complete')).toBe(true);

    // While Redis is down: the cache degrades to a miss, coordination to answering here.
    const alone = a.process('asked while redis is down', 'down-1', BOUND_MS);
    await expect(alone.done).resolves.toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    expect(cacheEventOf(alone.events)).toEqual(expect.objectContaining({ hit: false }));
    await a.waitFor('a coordination fallback report', (line) => line.type === 'system-error' && line.stage === 'coordination');

    await redis.restart();
    // After the restart (empty): a miss, and a cross-replica cancel works again once both have reconnected.
    const after = a.process('asked after the restart', 'after-1', BOUND_MS);
    await expect(after.done).resolves.toEqual(expect.objectContaining({ type: 'complete' }));
    expect(cacheEventOf(after.events)).toEqual(expect.objectContaining({ hit: false }));

    const running = a.process('[long] cancel me after the restart', 'after-cancel', BOUND_MS);
    await running.firstToken;
    await pollUntil('a cross-replica cancel after the restart', async () => (await b.cancelAnywhere('after-cancel')).result, { timeoutMs: 10_000, everyMs: 50 });
    await expect(running.done).resolves.toEqual(expect.objectContaining({ type: 'cancelled' }));
    expect(Object.values(await a.stats()).map((s) => s.active)).toEqual([0, 0, 0]);
    expect(Object.values(await b.stats()).map((s) => s.active)).toEqual([0, 0, 0]);
  });
});
