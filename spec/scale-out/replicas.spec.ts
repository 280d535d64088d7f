/**
 * Three replica processes on one Redis: cross-replica cancel, the shared cache, cross-replica
 * single flight, and the cancel latency between replicas.
 */
import type { CompleteEvent, PipelineEvent } from '../../src/events';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../support/redis-server';
import { measureCancelLatency, startReplicas, stopReplicas, type Replica } from '../support/replica-cluster';

jest.setTimeout(60_000);

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const tokensOf = (events: readonly PipelineEvent[]): string => events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text).join('');

describe('three replicas on one Redis', () => {
  let redis: TestRedis;
  let replicas: Replica[] = [];
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    redis = await startRedis();
    replicas = await startReplicas(3, { redisUrl: redis.url, namespace: redis.namespace });
    [a, b] = replicas;
  });

  afterAll(async () => {
    await stopReplicas(replicas);
    await redis?.stop();
  });

  const startedOn = async (replica: Replica): Promise<number> => sum(Object.values(await replica.stats()).map((s) => s.started));

  it('cancels on replica A a request that replica B was asked to cancel', async () => {
    const request = a.process('[long] cancel me from elsewhere', 'cross-cancel-1');
    await request.firstToken;
    const { here } = await b.cancel('cross-cancel-1');
    expect(here).toBe(false);
    await expect(request.done).resolves.toEqual(expect.objectContaining({ type: 'cancelled' }));
    const stats = await a.stats();
    expect(Object.values(stats).map((s) => s.active)).toEqual([0, 0, 0]);
    expect(Object.values(stats).map((s) => s.cancelled)).toEqual([1, 1, 1]);
  });

  it('tells whether any replica had the request (cancelAnywhere)', async () => {
    const request = a.process('[long] cancel me anywhere', 'cross-cancel-2');
    await request.firstToken;
    const found = await b.cancelAnywhere('cross-cancel-2');
    expect(found.result).toBe(true);
    await expect(request.done).resolves.toEqual(expect.objectContaining({ type: 'cancelled' }));
    const missing = await b.cancelAnywhere('no-such-request');
    expect(missing.result).toBe(false);
    // Every other replica said no: no need to wait out the 250 ms bound.
    expect(missing.ms).toBeLessThan(200);
    console.log(`cancelAnywhere round trip: found ${found.ms.toFixed(2)} ms, not found ${missing.ms.toFixed(2)} ms`);
  });

  it("answers on replica B from replica A's cached answer", async () => {
    const first = a.process('what is shared between replicas', 'cache-a');
    const answered = await first.done;
    expect(answered).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    const key = (first.events.find((e) => e.type === 'cache') as { key: string }).key;
    // The write is detached from the request: wait (bounded) until it is in Redis (replica.ts: cache namespace `<ns>:cache`).
    const raw = await connectRaw(redis.url);
    try {
      await pollUntil('the cached answer in Redis', async () => (await raw.exists(`${redis.namespace}:cache::${key}`)) === 1);
    } finally {
      raw.destroy();
    }
    const startedBefore = await startedOn(b);
    const again = b.process('what is shared between replicas', 'cache-b');
    const hit = await again.done;
    expect(again.events.find((e) => e.type === 'cache')).toEqual(expect.objectContaining({ key, hit: true }));
    expect(hit).toEqual(expect.objectContaining({ type: 'complete', fromCache: true, text: (answered as CompleteEvent).text }));
    expect(await startedOn(b)).toBe(startedBefore);
  });

  it('runs the same prompt sent to A, B and C at once only once across the replicas', async () => {
    const before = sum(await Promise.all(replicas.map(startedOn)));
    const prompt = `one flight for all ${Date.now()}`;
    const requests = replicas.map((replica, i) => replica.process(prompt, `flight-${i}`));
    const terminals = await Promise.all(requests.map((r) => r.done));
    const after = sum(await Promise.all(replicas.map(startedOn)));
    expect(after - before).toBe(3); // three experts, started once in the cluster
    expect(terminals.map((t) => t.type)).toEqual(['complete', 'complete', 'complete']);
    const texts = terminals.map((t) => (t as CompleteEvent).text);
    expect(new Set(texts).size).toBe(1);
    // Each replica's own client saw the streamed tokens with its own request id.
    requests.forEach((r, i) => {
      expect(tokensOf(r.events).length).toBeGreaterThan(0);
      expect(r.events.every((e) => e.requestId === `flight-${i}`)).toBe(true);
    });
  });

  it('measures the time from a cancel on B to the experts torn down on A', async () => {
    const latency = await measureCancelLatency(b, a, { samples: 100 });
    console.log(`cross-replica cancel -> teardown (100 samples): last expert p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms; first expert p50 ${latency.firstTeardown.p50.toFixed(2)} ms, p99 ${latency.firstTeardown.p99.toFixed(2)} ms`);
    expect(latency.samples).toHaveLength(100);
    expect(latency.samples.every((ms) => ms > 0)).toBe(true);
    expect(latency.p50).toBeLessThan(50);
    const stats = await a.stats();
    expect(Object.values(stats).map((s) => s.active)).toEqual([0, 0, 0]);
  });
});
