import type { PipelineMetrics } from '../../src/metrics';
import { waterfallLayout } from '../../src/server/demo/browser/waterfall-layout';

const metrics = (overrides: Partial<PipelineMetrics>): PipelineMetrics => ({
  total: 0, stages: {}, ttft: null, experts: {}, cacheHit: false, degraded: false, bottlenecks: [], ...overrides,
});

describe('waterfallLayout', () => {
  it('lays the stages end to end in pipeline order, and the experts from where execution starts', () => {
    const layout = waterfallLayout(metrics({
      total: 420,
      stages: { outputGuard: 5, fusion: 10, execution: 400, cache: 3, routing: 1, validation: 1 },
      experts: {
        a: { ttft: 50, ms: 200, tokens: 9, attempts: 1, outcome: 'ok' },
        b: { ttft: null, ms: 400, tokens: 0, attempts: 3, outcome: 'failed' },
      },
    }));
    expect(layout.bars).toEqual([
      { kind: 'stage', label: 'validation', start: 0, ms: 1 },
      { kind: 'stage', label: 'routing', start: 1, ms: 1 },
      { kind: 'stage', label: 'cache', start: 2, ms: 3 },
      { kind: 'stage', label: 'execution', start: 5, ms: 400 },
      { kind: 'stage', label: 'fusion', start: 405, ms: 10 },
      { kind: 'stage', label: 'outputGuard', start: 415, ms: 5 },
      { kind: 'expert', label: 'a', start: 5, ms: 200, ttft: 50, outcome: 'ok' },
      { kind: 'expert', label: 'b', start: 5, ms: 400, ttft: null, outcome: 'failed' },
    ]);
    expect(layout.span).toBe(420);
    expect(layout.ticks).toEqual([0, 100, 200, 300, 400]);
  });

  it('covers the longest bar when the stages outrun the total, and skips stages that did not run', () => {
    const layout = waterfallLayout(metrics({ total: 3, stages: { validation: 1, routing: 0, cache: 4 } }));
    expect(layout.bars.map((bar) => [bar.label, bar.start])).toEqual([['validation', 0], ['routing', 1], ['cache', 1]]);
    expect(layout.span).toBe(5);
    expect(layout.ticks).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('never divides by zero: an empty request spans 1 ms', () => {
    expect(waterfallLayout(metrics({}))).toEqual({ bars: [], span: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  });
});
