/**
 * The event contract under random mixes of success, expert failure, validation errors and
 * cancellation (four ways), many requests at once on one plugin, in virtual time.
 */
import fc from 'fast-check';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert, type SimulatedFault } from '../../src/sources/simulated-expert';
import { memoryCache } from '../../src/pipeline/memory-cache';
import { isTerminal, type CompleteEvent, type PipelineEvent } from '../../src/events';
import type { CachedAnswer, ResponseCache } from '../../src/ports';
import { seededRandom } from '../../src/strategies/backoff';
import { newScheduler, pendingTimers, record } from '../support/virtual-time';

const faultArb: fc.Arbitrary<SimulatedFault | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ attempt: fc.constantFrom(1, 2), afterTokens: fc.nat(4), error: fc.constantFrom('unavailable', 'network', 'bad-request', 'rate-limited') as fc.Arbitrary<SimulatedFault['error']>, retryAfterMs: fc.constantFrom(undefined, 5) }),
  fc.record({ afterTokens: fc.nat(3), error: fc.constant('stall' as const) }),
);

const requestArb = fc.record({
  prompt: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('alpha question', 'beta question', 'gamma question') },
    { weight: 1, arbitrary: fc.constantFrom('', '   ', 'bad\u0001char', 42 as unknown as string) },
  ),
  at: fc.nat(20),
  cancel: fc.oneof(
    fc.constant({ way: 'none' as const, at: 0 }),
    fc.record({ way: fc.constantFrom('cancel' as const, 'cancelAll' as const, 'abort' as const, 'unsubscribe' as const), at: fc.nat(80) }),
  ),
});

const scenarioArb = fc.record({
  experts: fc.array(fc.record({ first: fc.nat(15), each: fc.nat(6), faults: fc.array(faultArb, { maxLength: 2 }) }), { minLength: 1, maxLength: 3 }),
  requests: fc.array(requestArb, { minLength: 1, maxLength: 6 }),
  fusion: fc.constantFrom('best' as const, 'first' as const, 'sections' as const),
  seed: fc.integer(),
});

describe('event contract', () => {
  it('holds for random mixes of success, failure, validation errors and cancellation', () => {
    fc.assert(fc.property(scenarioArb, (scenario) => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const experts = scenario.experts.map((spec, i) => simulatedExpert({
          id: `e${i}`, answer: `answer ${i} with words`, firstTokenDelayMs: spec.first, tokenDelayMs: spec.each,
          faults: spec.faults.filter((f): f is SimulatedFault => f !== undefined),
        }));
        const stored: CachedAnswer[] = [];
        const inner = memoryCache();
        const cache: ResponseCache = { ...inner, set: (key, value) => { stored.push(value); return inner.set(key, value); } };
        const plugin = new DialoguePlugin({
          experts, cache, fusion: scenario.fusion,
          retry: { maxRetries: 1, baseDelayMs: 2, maxDelayMs: 10, random: seededRandom(scenario.seed) },
          timeouts: { firstTokenMs: 40, idleMs: 20, totalMs: 100 },
        });
        const runs = scenario.requests.map((request, index) => {
          const requestId = `r${index}`;
          const controller = new AbortController();
          const run = { requestId, request, events: [] as PipelineEvent[], completed: false, unsubscribed: false, stop: () => undefined as void };
          scheduler.schedule(() => {
            const recorded = record(plugin.process(request.prompt, { requestId, signal: controller.signal }));
            run.events = recorded.events;
            run.completed = false;
            run.stop = () => { run.unsubscribed = true; recorded.sub.unsubscribe(); };
            Object.defineProperty(run, 'completed', { get: recorded.completed });
          }, request.at);
          if (request.cancel.way !== 'none') {
            scheduler.schedule(() => {
              if (request.cancel.way === 'cancel') plugin.cancel(requestId);
              else if (request.cancel.way === 'cancelAll') plugin.cancelAll();
              else if (request.cancel.way === 'abort') controller.abort();
              else run.stop();
            }, request.at + request.cancel.at);
          }
          return run;
        });
        flush();

        for (const run of runs) {
          const { events } = run;
          expect(events[0]).toEqual(expect.objectContaining({ type: 'start', requestId: run.requestId }));
          expect(events.every((event) => event.requestId === run.requestId)).toBe(true);
          const terminals = events.filter(isTerminal);
          if (run.unsubscribed && terminals.length === 0) continue;
          expect(terminals).toHaveLength(1);
          expect(events[events.length - 1]).toBe(terminals[0]);
          expect(events[events.length - 2].type).toBe('metrics');
          expect(run.completed).toBe(true);
          const terminal = terminals[0];
          if (typeof run.request.prompt !== 'string' || run.request.prompt.trim() === '' || run.request.prompt.includes('\u0001')) {
            expect(terminal).toEqual(expect.objectContaining({ type: 'error', error: expect.objectContaining({ kind: 'validation', user: true }) }));
          }
          if (terminal.type === 'error' && !terminal.error.user) expect(terminal.error.message).not.toMatch(/HTTP|stack|Service/);
          if (terminal.type === 'complete' && !terminal.fromCache && scenario.fusion !== 'sections' && !terminal.degraded) {
            // What a UI shows per source, dropping a source's text on a discarding retry.
            const shown = new Map<string, string>();
            for (const event of events) {
              if (event.type === 'token') shown.set(event.source, (shown.get(event.source) ?? '') + event.text);
              if (event.type === 'retry' && event.discard) shown.delete(event.source);
            }
            expect([...shown.values()]).toContain(terminal.text);
            expect(experts.some((expert) => `answer ${expert.id.slice(1)} with words` === terminal.text)).toBe(true);
          }
        }
        expect(experts.map((expert) => expert.stats.active)).toEqual(experts.map(() => 0));
        expect(plugin.active()).toEqual([]);
        expect(pendingTimers(scheduler)).toBe(0);
        const cleanTexts = runs.flatMap((run) => run.events.filter((e): e is CompleteEvent => e.type === 'complete' && !e.fromCache && !e.degraded).map((e) => e.text));
        for (const answer of stored) expect(cleanTexts).toContain(answer.text);
      });
    }), { numRuns: 300 });
  });
});
