/**
 * A two-turn conversation across two plugin instances sharing one Redis (its cache and its
 * coordinator), as two replicas behind a load balancer would: turn 2 carries the history, so it
 * is its own cache entry (not the bare question's), and the same conversation asked on both
 * instances at once runs once (single flight) and is then a cache hit on either.
 */
import { lastValueFrom, timer, map, toArray } from 'rxjs';
import type { ChatMessage } from '../../src/conversation';
import type { CacheEvent, CompleteEvent, PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { redisCache } from '../../src/sources/redis-cache';
import { redisCoordinator } from '../../src/sources/redis-coordinator';
import { recordingExpert } from '../support/recording-expert';
import { connectRaw, pollUntil, startRedis, type TestRedis } from '../support/redis-server';

jest.setTimeout(20_000);

/** Answers after 500 ms with how much of the conversation it saw (so history changes the answer); keeps every task. */
const countingExpert = () => recordingExpert({
  id: 'counter', answer: (task) => timer(500).pipe(map(() => `${task.prompt} (after ${task.messages.length - 1} earlier messages)`)),
});

const run = (plugin: DialoguePlugin, input: string | readonly ChatMessage[], requestId: string): Promise<PipelineEvent[]> =>
  lastValueFrom(plugin.process(input, { requestId }).pipe(toArray()));
const cacheOf = (events: PipelineEvent[]): CacheEvent => events.find((e): e is CacheEvent => e.type === 'cache')!;
const completeOf = (events: PipelineEvent[]): CompleteEvent => {
  const last = events[events.length - 1];
  if (last.type !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(last)}`);
  return last;
};

describe('a conversation across two instances sharing Redis', () => {
  let redis: TestRedis;
  let raw: Awaited<ReturnType<typeof connectRaw>>;
  const plugins: DialoguePlugin[] = [];

  const instance = (replicaId: string) => {
    const expert = countingExpert();
    const plugin = new DialoguePlugin({
      experts: [expert],
      cache: redisCache({ url: redis.url, namespace: redis.namespace }),
      coordination: redisCoordinator({ url: redis.url, namespace: redis.namespace, replicaId, blockMs: 100 }),
      timeouts: { cacheMs: 5_000 }, // a new client connects on its first lookup: room on a busy machine
    });
    plugins.push(plugin);
    return { plugin, expert };
  };
  const stored = (key: string) => pollUntil(`${key} to be stored`, async () => (await raw.exists(`${redis.namespace}::${key}`)) === 1);

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

  it('answers turn 2 (with the history) on instance B under its own key, apart from the same question without history', async () => {
    const a = instance('a');
    const b = instance('b');
    const turn1 = await run(a.plugin, 'What is a monad?', 't1');
    const answer1 = completeOf(turn1).text;
    expect(answer1).toBe('What is a monad? (after 0 earlier messages)');

    const conversation: ChatMessage[] = [
      { role: 'user', content: 'What is a monad?' }, { role: 'assistant', content: answer1 }, { role: 'user', content: 'And a functor?' },
    ];
    const turn2 = await run(b.plugin, conversation, 't2');
    expect(cacheOf(turn2).hit).toBe(false);
    expect(completeOf(turn2)).toEqual(expect.objectContaining({ text: 'And a functor? (after 2 earlier messages)', fromCache: false }));
    expect(b.expert.tasks.map((task) => task.messages)).toEqual([conversation]);

    const bare = await run(a.plugin, 'And a functor?', 't3');
    expect(cacheOf(bare).hit).toBe(false);
    expect(cacheOf(bare).key).not.toBe(cacheOf(turn2).key);
    expect(cacheOf(bare).key).not.toBe(cacheOf(turn1).key);
    expect(completeOf(bare).text).toBe('And a functor? (after 0 earlier messages)');
  });

  it('runs the same conversation asked on both instances at once once (single flight), then serves it from the shared cache on either', async () => {
    const a = instance('a');
    const b = instance('b');
    const conversation: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Why is the sky blue?' }, { role: 'assistant', content: 'Rayleigh scattering.' }, { role: 'user', content: 'And at sunset?' },
    ];
    const [onA, onB] = await Promise.all([run(a.plugin, conversation, 'on-a'), run(b.plugin, conversation, 'on-b')]);
    expect(a.expert.tasks.length + b.expert.tasks.length).toBe(1);
    expect(completeOf(onA).text).toBe('And at sunset? (after 3 earlier messages)');
    expect(completeOf(onB).text).toBe(completeOf(onA).text);
    expect(cacheOf(onA).key).toBe(cacheOf(onB).key);

    await stored(cacheOf(onA).key);
    for (const [name, { plugin }] of [['a', a], ['b', b]] as const) {
      const again = await run(plugin, conversation, `again-${name}`);
      expect(cacheOf(again)).toEqual(expect.objectContaining({ hit: true, key: cacheOf(onA).key }));
      expect(completeOf(again)).toEqual(expect.objectContaining({ fromCache: true, text: completeOf(onA).text }));
    }
    expect(a.expert.tasks.length + b.expert.tasks.length).toBe(1);

    // One message less of history is another conversation: asked again, not served.
    const shorter = await run(b.plugin, conversation.slice(1), 'shorter');
    expect(cacheOf(shorter).hit).toBe(false);
    expect(completeOf(shorter).text).toBe('And at sunset? (after 2 earlier messages)');
  });
});
