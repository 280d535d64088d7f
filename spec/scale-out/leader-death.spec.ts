/**
 * The replica running a shared execution is killed (SIGKILL) mid-stream: the followers notice
 * (no new log entries and the lock expired), one of them takes over, and every follower ends
 * in bounded time, with the partial text discarded first.
 */
import type { CompleteEvent, PipelineEvent, RetryEvent } from '../../src/events';
import { startRedis, type TestRedis } from '../support/redis-server';
import { startReplicas, stopReplicas, type Replica } from '../support/replica-cluster';

jest.setTimeout(60_000);

const LOCK_TTL_MS = 1500;
/** Lock expiry + a blocking read + a claim + the takeover's own run (60 tokens x 25 ms), with room to spare. */
const BOUND_MS = 15_000;

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

describe('leader death', () => {
  let redis: TestRedis;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    replicas = await startReplicas(3, {
      redisUrl: redis.url, namespace: redis.namespace,
      env: { LONG_WORDS: '60', LOCK_TTL_MS: String(LOCK_TTL_MS) },
    }, 'd');
  });

  afterAll(async () => {
    await stopReplicas(replicas);
    await redis?.stop();
  });

  it('lets the followers take over (or fail cleanly) when the leader is killed mid-stream', async () => {
    const [leader, ...followers] = replicas;
    const prompt = `[long] who survives the leader ${Date.now()}`;
    const led = leader.process(prompt, 'death-0', BOUND_MS);
    await led.firstToken;
    const requests = followers.map((replica, i) => replica.process(prompt, `death-${i + 1}`, BOUND_MS));
    await Promise.all(requests.map((r) => r.firstToken)); // replayed from the leader's log
    const followerStarts = sum(await Promise.all(followers.map(async (f) => sum(Object.values(await f.stats()).map((s) => s.started)))));
    expect(followerStarts).toBe(0); // they only follow

    const killedAt = Date.now();
    await leader.kill();
    const terminals = await Promise.all(requests.map((r) => r.done));
    const tookMs = Date.now() - killedAt;
    console.log(`after SIGKILL of the leader, the followers ended in ${tookMs} ms: ${terminals.map((t) => t.type).join(', ')}`);

    expect(tookMs).toBeLessThan(BOUND_MS);
    for (const terminal of terminals) {
      if (terminal.type === 'error') expect(terminal.error).toEqual(expect.objectContaining({ kind: 'system', user: false }));
      else expect(terminal).toEqual(expect.objectContaining({ type: 'complete', degraded: false }));
    }
    const completed = terminals.filter((t): t is CompleteEvent => t.type === 'complete');
    expect(completed.length).toBeGreaterThan(0);
    expect(new Set(completed.map((t) => t.text)).size).toBe(1);
    // The partial text from the dead leader was discarded before the new one streamed.
    for (const request of requests) {
      const discards = request.events.filter((e): e is RetryEvent => e.type === 'retry' && e.discard);
      expect(discards.length).toBeGreaterThan(0);
      const lastDiscard = request.events.lastIndexOf(discards[discards.length - 1] as PipelineEvent);
      expect(request.events.slice(lastDiscard).some((e) => e.type === 'token')).toBe(true);
    }
    // One takeover ran the experts once more, and nothing is left running.
    const stats = await Promise.all(followers.map((f) => f.stats()));
    expect(sum(stats.flatMap((s) => Object.values(s).map((e) => e.started)))).toBe(3);
    expect(stats.flatMap((s) => Object.values(s).map((e) => e.active))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
