import type { MetricsEvent, PipelineEvent, PlanEvent, TokenEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert, type SimulatedExpertOptions } from '../../src/sources/simulated-expert';
import { aggregator } from '../../src/strategies/fusion-aggregator';
import { newScheduler, pendingTimers, record } from '../support/virtual-time';

const experts = () => [
  simulatedExpert({ id: 'a', answer: 'red green blue', firstTokenDelayMs: 10, tokenDelayMs: 5 }),
  simulatedExpert({ id: 'b', answer: 'red green', firstTokenDelayMs: 15, tokenDelayMs: 5 }),
  simulatedExpert({ id: 'c', answer: 'cats', firstTokenDelayMs: 5 }),
];

const aggregatorExpert = (extra: Partial<SimulatedExpertOptions> = {}) =>
  simulatedExpert({ id: 'agg', answer: 'fused answer text', firstTokenDelayMs: 4, tokenDelayMs: 3, ...extra });

const terminalOf = (events: PipelineEvent[]) => events[events.length - 1];
const fusionTokens = (events: PipelineEvent[]) => events.filter((e): e is TokenEvent => e.type === 'token' && e.source === 'fusion');

describe('aggregator fusion in the pipeline', () => {
  it('streams the aggregator as fusion tokens after the experts end, and completes with its text', () => {
    const scheduler = newScheduler();
    scheduler.run(({ flush }) => {
      const agg = aggregatorExpert();
      const plugin = new DialoguePlugin({ experts: experts(), fusion: aggregator(agg) });
      const run = record(plugin.process('Name the colours', { requestId: 'r1' }));
      flush();
      const plan = run.events.find((e): e is PlanEvent => e.type === 'plan');
      expect(plan?.plan.fusion).toEqual({ id: 'aggregator:agg', version: expect.stringMatching(/^[0-9a-f]{12}$/) });
      const tokens = fusionTokens(run.events);
      expect(tokens.map((t) => t.text).join('')).toBe('fused answer text');
      const lastExpertEvent = run.events.map((e) => e.type).lastIndexOf('expert');
      expect(run.events.indexOf(tokens[0]!)).toBeGreaterThan(lastExpertEvent);
      // Estimated (4 characters a token): the experts 'Name the colours' (4 tokens) in each, 'red green blue' (4), 'red green' (3) and
      // 'cats' (1) out; the aggregator its prompt (the default template filled, 459 characters: 115 tokens) in, 'fused answer text' (5) out.
      expect(terminalOf(run.events)).toEqual({
        type: 'complete', requestId: 'r1', text: 'fused answer text', fromCache: false, degraded: false,
        usage: { inputTokens: 12 + 115, outputTokens: 8 + 5, estimated: true },
      });
      const { metrics } = run.events.find((e): e is MetricsEvent => e.type === 'metrics')!;
      expect({ total: metrics.total, fusion: metrics.stages.fusion }).toEqual({ total: 30, fusion: 10 });
      expect(agg.stats).toEqual({ started: 1, active: 0, completed: 1, failed: 0, cancelled: 0 });
      expect(pendingTimers(scheduler)).toBe(0);
    });
  });

  it("falls back to the best expert's answer with degraded: true when the aggregator fails", () => {
    newScheduler().run(({ flush }) => {
      const agg = aggregatorExpert({ faults: [{ error: 'bad-request' }] });
      const reports: unknown[] = [];
      const plugin = new DialoguePlugin({ experts: experts(), fusion: aggregator(agg), onSystemError: (error) => reports.push(error) });
      const run = record(plugin.process('Name the colours', { requestId: 'r2' }));
      flush();
      expect(fusionTokens(run.events)).toEqual([]);
      expect(run.events).toContainEqual(expect.objectContaining({ type: 'status', message: expect.stringContaining('aggregator:agg') }));
      // The experts' usage and the failed aggregator's prompt (115 tokens in, nothing out).
      expect(terminalOf(run.events)).toEqual({
        type: 'complete', requestId: 'r2', text: 'red green blue', fromCache: false, degraded: true,
        usage: { inputTokens: 12 + 115, outputTokens: 8, estimated: true },
      });
      expect(reports).toEqual([expect.objectContaining({ _tag: 'FusionError', strategyId: 'aggregator:agg' })]);
      expect(agg.stats.failed).toBe(1);
    });
  });
});
