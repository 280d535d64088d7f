import { register } from 'prom-client';
import { memoryCache } from '../../../src/pipeline/memory-cache';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { aggregator } from '../../../src/strategies/fusion-aggregator';
import { noGuard } from '../../../src/strategies/output-guard';
import { EventReader, postJson, series, sseEvents, startDialogueServer, waitFor, type Running } from '../server-fixtures';

describe('GET /metrics', () => {
  let running: Running | undefined;
  let other: Running | undefined;
  afterEach(async () => {
    await running?.close();
    await other?.close();
    running = other = undefined;
  });

  const scrape = async (target = running!): Promise<string> => {
    const response = await fetch(`${target.origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.text();
  };
  const ask = async (prompt: unknown, target = running!) => sseEvents(await postJson(`${target.origin}/api/dialogue`, { prompt }));

  it('counts requests by outcome, cache hits and misses, and stage and TTFT timings', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'Some answer here.' }), simulatedExpert({ id: 'b' })], cache: memoryCache() });
    const before = await scrape();
    expect(series(before, 'dialogue_requests_total{outcome="complete"}')).toBe(0);
    expect(series(before, 'dialogue_cache_hits_total')).toBe(0);
    await ask('Same question?');
    await ask('Same question?');
    await ask('');
    const text = await scrape();
    expect(series(text, 'dialogue_requests_total{outcome="complete"}')).toBe(2);
    expect(series(text, 'dialogue_requests_total{outcome="error",kind="validation"}')).toBe(1);
    expect(series(text, 'dialogue_requests_total{outcome="cancelled"}')).toBe(0);
    expect(series(text, 'dialogue_cache_misses_total')).toBe(1);
    expect(series(text, 'dialogue_cache_hits_total')).toBe(1);
    expect(series(text, 'dialogue_stage_seconds_count{stage="validation"}')).toBe(3);
    expect(series(text, 'dialogue_stage_seconds_count{stage="execution"}')).toBe(1);
    expect(series(text, 'dialogue_stage_seconds_bucket{le="+Inf",stage="execution"}')).toBe(1);
    expect(series(text, 'dialogue_stage_seconds_sum{stage="execution"}')).toBeLessThan(5);
    expect(series(text, 'dialogue_ttft_seconds_count')).toBe(2);
    expect(series(text, 'dialogue_ttft_seconds_sum')).toBeGreaterThanOrEqual(0);
    expect(series(text, 'dialogue_breaker_state{expert="a"}')).toBe(0);
    expect(series(text, 'dialogue_breaker_state{expert="b"}')).toBe(0);
    expect(series(text, 'dialogue_in_flight')).toBe(0);
    expect(text).toContain('# TYPE dialogue_stage_seconds histogram');
  });

  it('counts each request\'s tokens by the experts\' models (as the plan names them), and their cost for priced models', async () => {
    running = await startDialogueServer(
      { experts: [
        simulatedExpert({ id: 'a', model: 'gpt-x', answer: 'Some answer here.' }), simulatedExpert({ id: 'b', model: 'gpt-x', answer: 'Four words in all.' }),
        simulatedExpert({ id: 'c', answer: 'Yes.' }),
      ] },
      // `expertModels` relabels an expert: c's model, 'simulated', is counted as 'c'.
      { expertModels: { c: 'c' }, pricing: { 'gpt-x': { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } } },
    );
    await ask('Count me');
    await ask('Count me');
    const text = await scrape();
    // Per request, estimated by the experts: 'Count me' is 2 tokens in for each; answers 5 + 5 (gpt-x) and 1 (c) out.
    expect(series(text, 'dialogue_tokens_total{model="gpt-x",direction="input"}')).toBe(8);
    expect(series(text, 'dialogue_tokens_total{model="gpt-x",direction="output"}')).toBe(20);
    expect(series(text, 'dialogue_tokens_total{model="c",direction="input"}')).toBe(4);
    expect(series(text, 'dialogue_tokens_total{model="c",direction="output"}')).toBe(2);
    // gpt-x: (4 input x 1 + 10 output x 2) dollars per request; the unpriced model c has no cost series.
    expect(series(text, 'dialogue_cost_usd_total{model="gpt-x"}')).toBe(48);
    expect(text).not.toContain('dialogue_cost_usd_total{model="c"}');
  });

  it("counts a generating fusion's own call as fusion:<id>, so the tokens add up to the requests' usage", async () => {
    running = await startDialogueServer(
      { experts: [simulatedExpert({ id: 'a', model: 'small', answer: 'Some answer here.' })], fusion: aggregator(simulatedExpert({ id: 'judge', model: 'big', answer: 'The fused answer.' })) },
      { pricing: { small: { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 } } },
    );
    const events = await ask('Count me');
    const complete = events.at(-1) as { type: string; usage?: { inputTokens: number; outputTokens: number } };
    expect(complete.type).toBe('complete');
    const text = await scrape();
    const fusionLabel = /dialogue_tokens_total\{model="(fusion:[^"]+)",direction="input"\}/.exec(text)?.[1];
    expect(fusionLabel).toMatch(/^fusion:/);
    const counted = (direction: string) => (series(text, `dialogue_tokens_total{model="small",direction="${direction}"}`) ?? NaN)
      + (series(text, `dialogue_tokens_total{model="${fusionLabel}",direction="${direction}"}`) ?? NaN);
    expect(counted('input')).toBe(complete.usage!.inputTokens);
    expect(counted('output')).toBe(complete.usage!.outputTokens);
    expect(series(text, `dialogue_tokens_total{model="${fusionLabel}",direction="output"}`)).toBeGreaterThan(0);
    // Only the priced model has a cost series.
    expect(text).not.toContain(`dialogue_cost_usd_total{model="${fusionLabel}"}`);
  });

  it('counts retries per expert and shows an open breaker as 2', async () => {
    running = await startDialogueServer({
      experts: [
        simulatedExpert({ id: 'flaky', answer: 'Fine now.', faults: [{ attempt: 1, error: 'unavailable' }] }),
        simulatedExpert({ id: 'down', faults: [{ error: 'unavailable' }] }),
      ],
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { failureThreshold: 2, cooldownMs: 60_000 },
    });
    expect((await ask('Anyone there?')).at(-1)).toEqual(expect.objectContaining({ type: 'complete', degraded: true, text: 'Fine now.' }));
    const text = await scrape();
    expect(series(text, 'dialogue_retries_total{expert="flaky"}')).toBe(1);
    expect(series(text, 'dialogue_retries_total{expert="down"}')).toBe(1);
    expect(series(text, 'dialogue_breaker_state{expert="flaky"}')).toBe(0);
    expect(series(text, 'dialogue_breaker_state{expert="down"}')).toBe(2);
  });

  it('shows requests in flight, and counts a client that leaves as cancelled', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'one two', tokenDelayMs: 60_000 })], guard: noGuard });
    const controller = new AbortController();
    const reader = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go' }, {}, controller.signal));
    await reader.until('token');
    expect(series(await scrape(), 'dialogue_in_flight')).toBe(1);
    controller.abort();
    await waitFor(() => running!.plugin.active().length === 0, 2000, 'the request to end');
    const text = await scrape();
    expect(series(text, 'dialogue_in_flight')).toBe(0);
    expect(series(text, 'dialogue_requests_total{outcome="cancelled"}')).toBe(1);
  });

  it('keeps each server\'s figures in its own registry, never the global one', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] });
    other = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] });
    await ask('One?');
    await ask('Two?', other);
    await ask('Three?', other);
    expect(series(await scrape(), 'dialogue_requests_total{outcome="complete"}')).toBe(1);
    expect(series(await scrape(other), 'dialogue_requests_total{outcome="complete"}')).toBe(2);
    expect(register.getSingleMetric('dialogue_requests_total')).toBeUndefined();
  });
});
