/**
 * The plugin end to end with conversations, generation params and usage, in virtual time:
 * what reaches the experts, what the cache keys on, and what each request cost.
 */
import { defer, of } from 'rxjs';
import type { ChatMessage, Usage } from '../../src/conversation';
import type { CacheEvent, CompleteEvent, ErrorEvent, ExpertEvent, MetricsEvent, PipelineEvent, TokenEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { Expert } from '../../src/ports';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { recordingExpert } from '../support/recording-expert';
import { newScheduler, record, typesOf } from '../support/virtual-time';

const terminalOf = (events: readonly PipelineEvent[]): PipelineEvent => events[events.length - 1]!;
const completeOf = (events: readonly PipelineEvent[]): CompleteEvent => {
  const last = terminalOf(events);
  if (last.type !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(last)}`);
  return last;
};
const metricsOf = (events: readonly PipelineEvent[]) => (events.find((e): e is MetricsEvent => e.type === 'metrics')!).metrics;
const expertEvents = (events: readonly PipelineEvent[]) => events.filter((e): e is ExpertEvent => e.type === 'expert');
const textOf = (events: readonly PipelineEvent[], source: string): string =>
  events.filter((e): e is TokenEvent => e.type === 'token' && e.source === source).map((e) => e.text).join('');
const estimated = (inputTokens: number, outputTokens: number): Usage => ({ inputTokens, outputTokens, estimated: true });

/** 9 + 8 + 6 + 13 = 36 characters: 9 tokens in, estimated. */
const twoTurns: readonly ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'What is RxJS?' },
];


describe('DialoguePlugin with conversations', () => {
  describe('what reaches the experts', () => {
    it('gives every expert the whole conversation as task.messages, and the last user message as the prompt', () => {
      newScheduler().run(({ flush }) => {
        const seen: [string, readonly ChatMessage[]][] = [];
        const echo = recordingExpert(simulatedExpert({ id: 'echo', answer: (prompt, messages) => { seen.push([prompt, messages]); return `You asked: ${prompt}`; }, firstTokenDelayMs: 5 }));
        const other = recordingExpert(simulatedExpert({ id: 'other', answer: 'Observables.', firstTokenDelayMs: 9 }));
        const plugin = new DialoguePlugin({ experts: [echo, other], fusion: 'first' });
        const run = record(plugin.process(twoTurns, { requestId: 'c1' }));
        flush();
        expect(seen).toEqual([['What is RxJS?', twoTurns]]);
        for (const expert of [echo, other]) {
          expect(expert.tasks).toEqual([expect.objectContaining({ requestId: 'c1', prompt: 'What is RxJS?', messages: twoTurns, attempt: 1 })]);
        }
        expect(completeOf(run.events).text).toBe('You asked: What is RxJS?');
      });
    });

    it('has the simulated expert answer the last user message by default, whatever the history', () => {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'sim' })], cache: false });
        const alone = record(plugin.process('What is RxJS?'));
        const inConversation = record(plugin.process(twoTurns));
        flush();
        expect(completeOf(inConversation.events).text).toBe(completeOf(alone.events).text);
        expect(completeOf(alone.events).text).toMatch(/rxjs/);
      });
    });

    it('gives every expert the params: maxTokens cuts each simulated answer to that many tokens', () => {
      newScheduler().run(({ flush }) => {
        const experts = [
          recordingExpert(simulatedExpert({ id: 'a', answer: 'one two three four five', tokenDelayMs: 2 })),
          recordingExpert(simulatedExpert({ id: 'b', answer: 'alpha beta. gamma', tokenDelayMs: 3 })),
        ];
        const plugin = new DialoguePlugin({ experts, cache: false });
        const run = record(plugin.process(twoTurns, { params: { maxTokens: 2, temperature: 0.3 } }));
        flush();
        expect(textOf(run.events, 'a')).toBe('one two');
        expect(textOf(run.events, 'b')).toBe('alpha beta.');
        expect(expertEvents(run.events).map(({ expertId, tokens }) => [expertId, tokens])).toEqual([['a', 2], ['b', 2]]);
        for (const expert of experts) expect(expert.tasks[0]?.params).toEqual({ maxTokens: 2, temperature: 0.3 });
      });
    });

    it('gives every expert the params: stop ends each simulated answer before the first stop sequence', () => {
      newScheduler().run(({ flush }) => {
        const experts = [
          simulatedExpert({ id: 'a', answer: 'one two three four five', tokenDelayMs: 2 }),
          simulatedExpert({ id: 'b', answer: 'alpha beta. gamma', tokenDelayMs: 3 }),
        ];
        const plugin = new DialoguePlugin({ experts, cache: false });
        const run = record(plugin.process(twoTurns, { params: { stop: ['.', 'four'] } }));
        flush();
        expect(textOf(run.events, 'a')).toBe('one two three');
        expect(textOf(run.events, 'b')).toBe('alpha beta');
      });
    });

    it('refuses a conversation over limits.maxMessages with a validation error, running nothing', () => {
      newScheduler().run(({ flush }) => {
        const expert = simulatedExpert({ id: 'a', answer: 'x' });
        const plugin = new DialoguePlugin({ experts: [expert], limits: { maxMessages: 3 } });
        const run = record(plugin.process(twoTurns));
        flush();
        expect((terminalOf(run.events) as ErrorEvent).error).toEqual(expect.objectContaining({ kind: 'validation', user: true, issues: ['messages must be at most 3'] }));
        expect(expert.stats.started).toBe(0);
      });
    });
  });

  describe('the cache', () => {
    it('serves a repeated conversation (differing only in whitespace) from the cache, and runs the experts for another history or other params', () => {
      newScheduler().run(({ flush }) => {
        const expert = simulatedExpert({ id: 'a', answer: 'Streams of events.', tokenDelayMs: 1 });
        const plugin = new DialoguePlugin({ experts: [expert] });
        const hitOf = (run: { events: PipelineEvent[] }): boolean | undefined => run.events.find((e): e is CacheEvent => e.type === 'cache')?.hit;
        const first = record(plugin.process(twoTurns));
        flush();
        const again = record(plugin.process(twoTurns.map((m) => ({ ...m, content: ` ${m.content}\n` }))));
        flush();
        const otherHistory = record(plugin.process([twoTurns[0]!, { role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi!' }, twoTurns[3]!]));
        flush();
        const otherParams = record(plugin.process(twoTurns, { params: { maxTokens: 2 } }));
        flush();
        const lastAlone = record(plugin.process('What is RxJS?'));
        flush();
        expect([first, again, otherHistory, otherParams, lastAlone].map(hitOf)).toEqual([false, true, false, false, false]);
        expect(typesOf(again.events)).toEqual(['start', 'plan', 'cache', 'token', 'metrics', 'complete']);
        expect(expert.stats.started).toBe(4);
        expect(completeOf(otherParams.events).text).toBe('Streams of');
      });
    });
  });

  describe('usage', () => {
    it('puts each expert\'s estimated usage on its expert event and metrics, and their sum on complete', () => {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({
          experts: [
            simulatedExpert({ id: 'a', answer: 'Streams of events.', firstTokenDelayMs: 4 }),
            simulatedExpert({ id: 'b', answer: 'A library for observables.', firstTokenDelayMs: 6 }),
          ],
        });
        const run = record(plugin.process(twoTurns));
        flush();
        // The conversation: 36 characters, 9 tokens in for each; out: 18 characters (5) and 26 (7).
        expect(expertEvents(run.events).map(({ expertId, usage }) => [expertId, usage])).toEqual([['a', estimated(9, 5)], ['b', estimated(9, 7)]]);
        const { experts } = metricsOf(run.events);
        expect([experts.a?.usage, experts.b?.usage]).toEqual([estimated(9, 5), estimated(9, 7)]);
        expect(completeOf(run.events).usage).toEqual(estimated(18, 12));
      });
    });

    it('uses what an expert reports through task.reportUsage, not estimated', () => {
      newScheduler().run(({ flush }) => {
        const reporting: Expert = {
          id: 'rep', model: 'gpt-x', version: '1',
          stream: (task) => defer(() => {
            task.reportUsage?.({ inputTokens: 120, outputTokens: 3 });
            return of('Streams', ' of', ' events.');
          }),
        };
        const alone = record(new DialoguePlugin({ experts: [reporting] }).process(twoTurns));
        const mixed = record(new DialoguePlugin({ experts: [reporting, simulatedExpert({ id: 'sim', answer: 'Streams.' })] }).process(twoTurns));
        flush();
        const reported: Usage = { inputTokens: 120, outputTokens: 3, estimated: false };
        expect(expertEvents(alone.events)[0]?.usage).toEqual(reported);
        expect(metricsOf(alone.events).experts.rep?.usage).toEqual(reported);
        expect(completeOf(alone.events).usage).toEqual(reported);
        // With an estimated expert ('Streams.': 2 tokens out) the total is estimated.
        expect(completeOf(mixed.events).usage).toEqual(estimated(129, 5));
      });
    });

    it('adds a failed attempt\'s usage to the expert that retried, and counts a failed expert in the total', () => {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({
          experts: [
            simulatedExpert({ id: 'retried', answer: 'one two three', tokenDelayMs: 1, faults: [{ attempt: 1, afterTokens: 2, error: 'unavailable' }] }),
            simulatedExpert({ id: 'failed', answer: 'alpha beta', faults: [{ afterTokens: 1, error: 'bad-request' }] }),
          ],
          retry: { maxRetries: 1, baseDelayMs: 10, random: () => 0.5 },
        });
        const run = record(plugin.process('Tell me'));
        flush();
        // 'Tell me' is 2 tokens in an attempt. retried: 'one two' (2) then 'one two three' (4) out; failed: 'alpha' (2).
        expect(expertEvents(run.events).map(({ expertId, outcome, usage }) => [expertId, outcome, usage])).toEqual([
          ['failed', 'failed', estimated(2, 2)],
          ['retried', 'ok', estimated(4, 6)],
        ]);
        expect(metricsOf(run.events).experts.retried).toEqual(expect.objectContaining({ attempts: 2, usage: estimated(4, 6) }));
        expect(completeOf(run.events)).toEqual(expect.objectContaining({ degraded: true, usage: estimated(6, 8) }));
      });
    });

    it('gives a cache hit zero usage, no expert figures and no cost', () => {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({
          experts: [simulatedExpert({ id: 'a', model: 'gpt-x', answer: 'Streams of events.' })],
          pricing: { 'gpt-x': { inputPerMillion: 2, outputPerMillion: 8 } },
        });
        const first = record(plugin.process(twoTurns));
        flush();
        const hit = record(plugin.process(twoTurns));
        flush();
        expect(completeOf(first.events).usage).toEqual(estimated(9, 5));
        expect(completeOf(hit.events)).toEqual(expect.objectContaining({ fromCache: true, usage: { inputTokens: 0, outputTokens: 0, estimated: false } }));
        expect(metricsOf(hit.events)).toEqual(expect.objectContaining({ cacheHit: true, experts: {}, cost: 0 }));
      });
    });

    it('prices the experts\' tokens with the pricing option: metrics.cost is the sum over experts; an unpriced model costs nothing', () => {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({
          experts: [
            simulatedExpert({ id: 'a', model: 'big', answer: 'Streams of events.' }),
            simulatedExpert({ id: 'b', model: 'small', answer: 'A library for observables.' }),
            simulatedExpert({ id: 'c', model: 'free', answer: 'Observables.' }),
          ],
          pricing: { big: { inputPerMillion: 3, outputPerMillion: 15 }, small: { inputPerMillion: 0.5, outputPerMillion: 1.5 } },
        });
        const withoutPricing = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'big', answer: 'x' })] });
        const run = record(plugin.process(twoTurns));
        const unpriced = record(withoutPricing.process(twoTurns));
        flush();
        // a: 9 in, 5 out at 3 and 15 per million; b: 9 in, 7 out at 0.5 and 1.5; c: not priced.
        const expected = (9 * 3 + 5 * 15 + 9 * 0.5 + 7 * 1.5) / 1e6;
        expect(metricsOf(run.events).cost).toBeCloseTo(expected, 15);
        expect(metricsOf(run.events).cost).toBeGreaterThan(0);
        expect(metricsOf(unpriced.events)).not.toHaveProperty('cost');
      });
    });
  });
});
