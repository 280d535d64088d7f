/** DialoguePlugins with redisCoordinator in one process: shared flights, takeover, and Redis unreachable. */
import { defer, lastValueFrom, switchMap, toArray, type Observable } from 'rxjs';
import type { CompleteEvent, PipelineEvent, RetryEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { Coordinator, FlightClaim } from '../../src/ports';
import { CoordinationError, redisCoordinator } from '../../src/sources/redis-coordinator';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { connectRaw, startRedis, type TestRedis } from '../support/redis-server';

jest.setTimeout(20_000);

const team = () => ['x', 'y'].map((id) => simulatedExpert({ id, answer: `${id} says hello there`, firstTokenDelayMs: 10, tokenDelayMs: 10 }));
const run = (plugin: DialoguePlugin, prompt: string, requestId?: string): Promise<PipelineEvent[]> =>
  lastValueFrom(plugin.process(prompt, { requestId }).pipe(toArray()));
const terminalOf = (events: PipelineEvent[]) => events[events.length - 1];

describe('DialoguePlugin with redisCoordinator', () => {
  let redis: TestRedis;
  let raw: Awaited<ReturnType<typeof connectRaw>>;
  const plugins: DialoguePlugin[] = [];

  const plugin = (coordination: Coordinator, experts = team(), onSystemError?: (error: unknown, context: { stage: string }) => void) => {
    const made = new DialoguePlugin({ experts, cache: false, coordination, onSystemError });
    plugins.push(made);
    return { plugin: made, experts };
  };
  const coordinator = (replicaId: string) => redisCoordinator({ url: redis.url, namespace: redis.namespace, replicaId, blockMs: 100 });

  beforeAll(async () => {
    redis = await startRedis();
    raw = await connectRaw(redis.url);
  });

  afterEach(async () => {
    await Promise.all(plugins.splice(0).map((p) => p.close()));
  });

  afterAll(async () => {
    raw?.destroy();
    await redis?.stop();
  });

  it('runs identical requests on two plugins once, and both complete with the same text', async () => {
    const a = plugin(coordinator('pa'));
    const b = plugin(coordinator('pb'));
    const [onA, onB] = await Promise.all([run(a.plugin, 'shared prompt', 'on-a'), run(b.plugin, 'shared prompt', 'on-b')]);
    expect([...a.experts, ...b.experts].reduce((n, e) => n + e.stats.started, 0)).toBe(2);
    expect(terminalOf(onA)).toEqual(expect.objectContaining({ type: 'complete', requestId: 'on-a' }));
    expect(terminalOf(onB)).toEqual(expect.objectContaining({ type: 'complete', requestId: 'on-b', text: (terminalOf(onA) as CompleteEvent).text }));
  });

  it('takes over from a leader that died: its lock expires, its log goes silent', async () => {
    const real = coordinator('survivor');
    // Right before the survivor claims, a "dead" leader holds the lock with a short life and a half-written log.
    const haunted: Coordinator = {
      ...real,
      replicaId: real.replicaId,
      claim: (key: string, options?: { readonly takeover?: boolean }): Observable<FlightClaim> => defer(async () => {
        if (options?.takeover !== true) {
          await raw.set(`${redis.namespace}:flight:{${key}}:lock`, 'ghost/dead', { expiration: { type: 'PX', value: 300 } });
          const half = [{ kind: 'event', event: { type: 'token', source: 'x', text: 'ghostly' } }, { kind: 'event', event: { type: 'token', source: 'x', text: ' words' } }];
          await raw.xAdd(`${redis.namespace}:flight:{${key}}:log:dead`, '*', { r: JSON.stringify(half) });
        }
      }).pipe(switchMap(() => real.claim(key, options))),
    };
    const survivor = plugin(haunted);
    const events = await run(survivor.plugin, 'a prompt with a ghost');
    const texts = events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text);
    expect(texts[0]).toMatch(/^ghostly/);
    const discard = events.find((e): e is RetryEvent => e.type === 'retry');
    expect(discard).toEqual(expect.objectContaining({ source: 'x', discard: true }));
    expect(terminalOf(events)).toEqual(expect.objectContaining({ type: 'complete', text: 'x says hello there' }));
    expect(survivor.experts.map((e) => e.stats.started)).toEqual([1, 1]);
  });

  it('answers alone, and reports it, when Redis cannot be reached', async () => {
    const reported: { error: unknown; stage: string }[] = [];
    const dead = redisCoordinator({ url: 'redis://127.0.0.1:1', opTimeoutMs: 200, cancelWaitMs: 100 });
    const alone = plugin(dead, team(), (error, context) => reported.push({ error, stage: context.stage }));
    const started = Date.now();
    const events = await run(alone.plugin, 'nobody to coordinate with');
    expect(terminalOf(events)).toEqual(expect.objectContaining({ type: 'complete', degraded: false }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(reported).toContainEqual({ error: expect.any(CoordinationError), stage: 'coordination' });
    await expect(alone.plugin.cancelAnywhere('unknown')).resolves.toBe(false);
  });
});
