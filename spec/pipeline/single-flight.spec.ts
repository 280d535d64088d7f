/** Identical requests in flight share one execution; each keeps its own events and can leave alone. */
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import type { CompleteEvent, MetricsEvent, PipelineEvent } from '../../src/events';
import { newScheduler, pendingTimers, record } from '../support/virtual-time';

const experts = () => [
  simulatedExpert({ id: 'a', answer: 'one two three four', firstTokenDelayMs: 10, tokenDelayMs: 10 }),
  simulatedExpert({ id: 'b', answer: 'one two three five', firstTokenDelayMs: 5, tokenDelayMs: 10 }),
];
const tokensOf = (events: PipelineEvent[]) => events.filter((e) => e.type === 'token').map((e) => `${(e as { source: string }).source}:${(e as { text: string }).text}`);
const textBySource = (events: PipelineEvent[]) => events.reduce<Record<string, string>>((texts, e) => {
  if (e.type === 'token') texts[e.source] = (texts[e.source] ?? '') + e.text;
  return texts;
}, {});
const terminalOf = (events: PipelineEvent[]) => events[events.length - 1];

describe('single flight', () => {
  it('runs identical requests in flight once; each gets the full stream with its own requestId', () => {
    newScheduler().run(({ flush }) => {
      const team = experts();
      const plugin = new DialoguePlugin({ experts: team, cache: false });
      const first = record(plugin.process('same question', { requestId: 'first' }));
      const second = record(plugin.process('same question', { requestId: 'second' }));
      flush();
      expect(team.map((e) => e.stats.started)).toEqual([1, 1]);
      expect(tokensOf(second.events)).toEqual(tokensOf(first.events));
      expect(tokensOf(first.events)).toHaveLength(8);
      expect(first.events.every((e) => e.requestId === 'first')).toBe(true);
      expect(second.events.every((e) => e.requestId === 'second')).toBe(true);
      expect((terminalOf(second.events) as CompleteEvent).text).toBe((terminalOf(first.events) as CompleteEvent).text);
      const metrics = (second.events.find((e) => e.type === 'metrics') as MetricsEvent).metrics;
      expect(metrics.experts.a).toEqual(expect.objectContaining({ outcome: 'ok', tokens: 4 }));
      expect(metrics.stages.execution).toBe(40);
    });
  });

  it('charges the tokens to the request that ran the experts: a joiner reports no usage, as a cache hit', () => {
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: experts(), cache: false });
      const owner = record(plugin.process('same question', { requestId: 'owner' }));
      const joiner = record(plugin.process('same question', { requestId: 'joiner' }));
      flush();
      const usageOf = (events: PipelineEvent[]) => ({
        complete: (terminalOf(events) as CompleteEvent).usage,
        experts: events.filter((e) => e.type === 'expert').map((e) => (e as { usage?: unknown }).usage),
        metrics: Object.values((events.find((e) => e.type === 'metrics') as MetricsEvent).metrics.experts).map((figures) => figures.usage),
      });
      const none = { inputTokens: 0, outputTokens: 0, estimated: false };
      const spent = usageOf(owner.events);
      expect(spent.complete).toEqual({ inputTokens: 8, outputTokens: 10, estimated: true }); // estimated: 'same question' and each answer, ~4 characters per token
      expect(spent.experts).toEqual([expect.objectContaining({ outputTokens: 5 }), expect.objectContaining({ outputTokens: 5 })]);
      expect(usageOf(joiner.events)).toEqual({ complete: none, experts: [none, none], metrics: [none, none] });
    });
  });

  it('replays what a late joiner missed, then streams the rest live', () => {
    const scheduler = newScheduler();
    scheduler.run(({ flush }) => {
      const team = experts();
      const plugin = new DialoguePlugin({ experts: team, cache: false });
      const first = record(plugin.process('same question'));
      let late: ReturnType<typeof record<PipelineEvent>> | undefined;
      scheduler.schedule(() => { late = record(plugin.process('same question')); }, 22);
      flush();
      expect(team.map((e) => e.stats.started)).toEqual([1, 1]);
      // Caught up with each expert's text so far as one piece, then live: the same text per source.
      expect(textBySource(late!.events)).toEqual(textBySource(first.events));
      expect(textBySource(late!.events)).toEqual({ a: 'one two three four', b: 'one two three five' });
      expect(terminalOf(late!.events).type).toBe('complete');
    });
  });

  it('lets one participant cancel without disturbing the other', () => {
    const scheduler = newScheduler();
    scheduler.run(({ flush }) => {
      const team = experts();
      const plugin = new DialoguePlugin({ experts: team, cache: false });
      const leaving = record(plugin.process('same question', { requestId: 'leaving' }));
      const staying = record(plugin.process('same question', { requestId: 'staying' }));
      scheduler.schedule(() => plugin.cancel('leaving'), 12);
      flush();
      expect(terminalOf(leaving.events).type).toBe('cancelled');
      expect(terminalOf(staying.events)).toEqual(expect.objectContaining({ type: 'complete', degraded: false }));
      expect(tokensOf(staying.events)).toHaveLength(8);
      expect(team.map((e) => e.stats.cancelled)).toEqual([0, 0]);
      expect(plugin.active()).toEqual([]);
    });
  });

  it('stops the experts when the last participant leaves', () => {
    const scheduler = newScheduler();
    scheduler.run(({ flush }) => {
      const team = experts();
      const plugin = new DialoguePlugin({ experts: team, cache: false });
      const one = record(plugin.process('same question', { requestId: 'one' }));
      record(plugin.process('same question', { requestId: 'two' }));
      scheduler.schedule(() => one.sub.unsubscribe(), 12);
      scheduler.schedule(() => plugin.cancel('two'), 14);
      flush();
      expect(team.map((e) => e.stats)).toEqual(team.map(() => expect.objectContaining({ active: 0, cancelled: 1 })));
      expect(pendingTimers(scheduler)).toBe(0);
      const again = record(plugin.process('same question'));
      flush();
      expect(terminalOf(again.events).type).toBe('complete');
      expect(team.map((e) => e.stats.started)).toEqual([2, 2]);
    });
  });

  it('never shares a cache entry or an execution between scopes', () => {
    newScheduler().run(({ flush }) => {
      const team = experts();
      const plugin = new DialoguePlugin({ experts: team });
      record(plugin.process('same question', { scope: 'tenant-a' }));
      const other = record(plugin.process('same question', { scope: 'tenant-b' }));
      flush();
      expect(team.map((e) => e.stats.started)).toEqual([2, 2]);
      const later = record(plugin.process('same question', { scope: 'tenant-b' }));
      flush();
      expect(terminalOf(later.events)).toEqual(expect.objectContaining({ fromCache: true }));
      expect(terminalOf(other.events)).toEqual(expect.objectContaining({ fromCache: false }));
      const stranger = record(plugin.process('same question', { scope: 'tenant-c' }));
      const unscoped = record(plugin.process('same question'));
      flush();
      expect(terminalOf(stranger.events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
      expect(terminalOf(unscoped.events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    });
  });

  it('passes a shared failure to every participant with its own requestId', () => {
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'down', faults: [{ error: 'bad-request' }], firstTokenDelayMs: 5 })] });
      const one = record(plugin.process('q', { requestId: 'one' }));
      const two = record(plugin.process('q', { requestId: 'two' }));
      flush();
      expect(terminalOf(one.events)).toEqual(expect.objectContaining({ type: 'error', requestId: 'one' }));
      expect(terminalOf(two.events)).toEqual(expect.objectContaining({ type: 'error', requestId: 'two' }));
    });
  });
});
