import { createPaint } from '../../src/cli/ansi';
import { renderAnswer, renderSummary, table } from '../../src/cli/render-summary';
import type { CompleteEvent } from '../../src/events';
import type { PipelineMetrics } from '../../src/metrics';

const plain = createPaint(false);

const metrics: PipelineMetrics = {
  total: 2291,
  stages: { validation: 1, routing: 0, cache: 37, execution: 2248, fusion: 1, outputGuard: 0 },
  ttft: 195,
  experts: {
    swift: { ttft: 125, ms: 503, tokens: 16, attempts: 1, outcome: 'ok' },
    steady: { ttft: 301, ms: 1248, tokens: 22, attempts: 2, outcome: 'ok' },
    deep: { ttft: null, ms: 2243, tokens: 0, attempts: 3, outcome: 'failed' },
  },
  cacheHit: false,
  degraded: true,
  bottlenecks: ['execution', 'expert:deep'],
};

const complete = (over: Partial<CompleteEvent> = {}): CompleteEvent =>
  ({ type: 'complete', requestId: 'r', text: 'The answer.', fromCache: false, degraded: false, ...over });

describe('renderSummary', () => {
  it('prints the stages in pipeline order, total, ttft, one row per expert and the bottlenecks', () => {
    expect(renderSummary(metrics, plain).join('\n')).toBe([
      'Stage          ms',
      'validation      1',
      'routing         0',
      'cache          37',
      'execution    2248',
      'fusion          1',
      'outputGuard     0',
      'total        2291',
      'ttft          195',
      '',
      'Expert  ttft    ms  tokens  attempts  outcome',
      'swift    125   503      16         1  ok',
      'steady   301  1248      22         2  ok',
      'deep       -  2243       0         3  failed',
      '',
      'Bottlenecks: execution, expert:deep',
    ].join('\n'));
  });

  it('shows only the stages that ran, and says when no expert ran', () => {
    const hit: PipelineMetrics = {
      total: 9.6, stages: { validation: 0.4, routing: 0, cache: 4 }, ttft: 9, experts: {}, cacheHit: true, degraded: false, bottlenecks: [],
    };
    expect(renderSummary(hit, plain)).toEqual([
      'Stage       ms',
      'validation   0',
      'routing      0',
      'cache        4',
      'total       10',
      'ttft         9',
      '',
      'Experts: none ran (cache hit)',
      '',
      'Bottlenecks: none',
    ]);
  });

  it('sets the headers in bold when colors are on', () => {
    const lines = renderSummary(metrics, createPaint(true));
    expect(lines[0]).toBe('\u001b[1mStage          ms\u001b[22m');
    expect(lines.at(-1)).toBe('\u001b[1mBottlenecks:\u001b[22m execution, expert:deep');
  });
});

describe('renderAnswer', () => {
  it('gives the elapsed time of a fresh answer', () => {
    expect(renderAnswer(complete(), 2281.4, plain)).toEqual(['Answer (2281 ms):', 'The answer.']);
  });

  it('says when the answer came from the cache', () => {
    expect(renderAnswer(complete({ fromCache: true }), 15, plain)).toEqual(['Answer (from cache, 15 ms):', 'The answer.']);
  });

  it('says when the answer is degraded', () => {
    expect(renderAnswer(complete({ degraded: true }), 900, plain)).toEqual(['Answer (degraded, 900 ms):', 'The answer.']);
  });

  it('keeps the lines of the text and drops escape sequences', () => {
    expect(renderAnswer(complete({ text: 'one\n\u001b[2Jtwo\u0007' }), 1, plain)).toEqual(['Answer (1 ms):', 'one', 'two']);
  });
});

describe('table', () => {
  it('aligns columns left or right, two spaces apart, without trailing spaces', () => {
    expect(table([['a', 'bb', 'c'], ['ccc', 'd', '']], ['left', 'right', 'left'], plain)).toEqual(['a    bb  c', 'ccc   d']);
  });
});
