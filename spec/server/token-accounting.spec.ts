import type { PipelineMetrics } from '../../src/metrics';
import { fusionTokens, tokenAccountingProblems, tokensByModel } from '../../src/server/token-accounting';

const expert = (inputTokens: number, outputTokens: number) => ({ ttft: 1, ms: 2, tokens: outputTokens, attempts: 1, outcome: 'ok' as const, usage: { inputTokens, outputTokens, estimated: false } });
const metrics = (experts: PipelineMetrics['experts']): PipelineMetrics => ({ total: 5, stages: {}, ttft: 1, experts, cacheHit: false, degraded: false, bottlenecks: [] });

describe('tokensByModel', () => {
  it('sums the experts by model, labels an unlisted expert with its id and prices only listed models', () => {
    const noUsage = { ttft: null, ms: 0, tokens: 0, attempts: 1, outcome: 'cancelled' as const };
    expect(tokensByModel(metrics({ a: expert(10, 20), b: expert(1, 2), c: expert(3, 4), d: noUsage }), {
      expertModels: { a: 'm1', b: 'm1' }, pricing: { m1: { inputPerMillion: 2, outputPerMillion: 4 } },
    })).toEqual([
      { model: 'm1', input: 11, output: 22, costUsd: (11 * 2 + 22 * 4) / 1e6 },
      { model: 'c', input: 3, output: 4 },
    ]);
    expect(tokensByModel(metrics({}), {})).toEqual([]);
  });

  it("labels by the model the request's plan names, unless expertModels overrides it", () => {
    const tasks = [{ expertId: 'a', model: 'gpt-a', version: '1' }, { expertId: 'b', model: 'gpt-b', version: '1' }];
    expect(tokensByModel(metrics({ a: expert(1, 2), b: expert(3, 4), c: expert(5, 6) }), {}, tasks)).toEqual([
      { model: 'gpt-a', input: 1, output: 2 },
      { model: 'gpt-b', input: 3, output: 4 },
      { model: 'c', input: 5, output: 6 },
    ]);
    expect(tokensByModel(metrics({ a: expert(1, 2), b: expert(3, 4) }), { expertModels: { b: 'gpt-a' } }, tasks)).toEqual([
      { model: 'gpt-a', input: 4, output: 6 },
    ]);
  });
});

describe('fusionTokens', () => {
  const plan = { id: 'p', intent: 'chat', tasks: [], fusion: { id: 'aggregator', version: '1' } };
  const total = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens, estimated: false });

  it("counts what the request's usage has beyond its experts', labelled and priced as fusion:<id>", () => {
    const figures = metrics({ a: expert(10, 20), b: expert(1, 2) });
    expect(fusionTokens(total(15, 30), figures, plan, {})).toEqual({ model: 'fusion:aggregator', input: 4, output: 8 });
    expect(fusionTokens(total(15, 30), figures, plan, { pricing: { 'fusion:aggregator': { inputPerMillion: 1, outputPerMillion: 2 } } }))
      .toEqual({ model: 'fusion:aggregator', input: 4, output: 8, costUsd: (4 + 16) / 1e6 });
  });

  it('is undefined when the fusion spent nothing (a selecting fusion, a cache hit, a joiner)', () => {
    expect(fusionTokens(total(11, 22), metrics({ a: expert(10, 20), b: expert(1, 2) }), plan, {})).toBeUndefined();
    expect(fusionTokens(total(0, 0), metrics({}), plan, {})).toBeUndefined();
  });
});

describe('tokenAccountingProblems', () => {
  it('names malformed expertModels and pricing', () => {
    expect(tokenAccountingProblems({})).toEqual([]);
    expect(tokenAccountingProblems({ expertModels: { a: '' }, pricing: { m: { inputPerMillion: -1, outputPerMillion: 1 } } })).toEqual([
      'expertModels must map expert ids to non-empty model names',
      'pricing must map model names to { inputPerMillion, outputPerMillion } numbers >= 0',
    ]);
  });
});
