/**
 * The report's first section: the lean-core targets, each measured against the plain
 * async/await floor (bench/floor) in the same run, or as an absolute figure.
 */
import type { CacheHitCaseResult, CancelCaseResult, CaseResult, GuardCaseResult, InFlightCaseResult } from './result';

/** One target's verdict. */
export interface FloorVerdict { readonly target: string; readonly measured: string; readonly pass: boolean }

/** The targets of the lean core. */
export const FLOOR_TARGETS = {
  fanOutRatio: 2, perTokenRatio: 1.3, cancelRatio: 1.3, heapBytes: 10 * 1024, cancelOneNs: 50_000, cancelAllMs: 300, cacheHitsPerSecond: 50_000, guardNsPerWordToken: 300,
} as const;

const of = <K extends CaseResult['kind']>(results: ReadonlyMap<string, CaseResult>, key: string, kind: K): Extract<CaseResult, { kind: K }> | undefined => {
  const result = results.get(key);
  return result?.kind === kind ? (result as Extract<CaseResult, { kind: K }>) : undefined;
};

const mark = (pass: boolean): string => (pass ? 'pass' : '**MISS**');
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);

/** The section's lines and the verdicts it adds. */
export const floorSection = (results: ReadonlyMap<string, CaseResult>, verdicts: FloorVerdict[]): string[] => {
  const rows: string[] = [];
  const add = (figure: string, floor: string, pipeline: string, measured: string, target: string, pass: boolean | undefined): void => {
    rows.push(`| ${figure} | ${floor} | ${pipeline} | ${measured} | ${target} | ${pass === undefined ? '(no target)' : mark(pass)} |`);
    if (pass !== undefined) verdicts.push({ target: `${figure}: ${target}`, measured, pass });
  };
  const fanOut = (name: string, label: string, withTarget: boolean): void => {
    const floor = of(results, `${name}/floor`, 'requests') ?? of(results, 'floor-fan-out/floor', 'requests');
    const pipe = of(results, `${name}/pipeline`, 'requests');
    if (floor === undefined || pipe === undefined) return;
    const ratio = pipe.load.perRequestNs / floor.load.perRequestNs;
    add(label, `${f1(floor.load.perRequestNs / 1000)} us`, `${f1(pipe.load.perRequestNs / 1000)} us`, `${f2(ratio)}x`, '<= 2x', withTarget ? ratio <= FLOOR_TARGETS.fanOutRatio : undefined);
  };
  fanOut('floor-fan-out', '3 experts x 100 tokens, fuse `best`, streaming guard off: time per request', true);
  fanOut('floor-fan-out-first', 'the same, fuse `first` (no scoring)', false);
  const floorToken = of(results, 'floor-per-token/floor', 'requests');
  const pipeToken = of(results, 'floor-per-token/pipeline', 'requests');
  if (floorToken !== undefined && pipeToken !== undefined) {
    const tokens = pipeToken.workload.tokensPerExpert;
    const floorNs = floorToken.load.perRequestNs / tokens;
    const pipeNs = pipeToken.load.perRequestNs / tokens;
    add('per-token cost, 1 expert x 10,000 tokens', `${floorNs.toFixed(0)} ns`, `${pipeNs.toFixed(0)} ns`, `${f2(pipeNs / floorNs)}x`, '<= 1.3x', pipeNs / floorNs <= FLOOR_TARGETS.perTokenRatio);
    const uncached = of(results, 'floor-per-token-nocache/pipeline', 'requests');
    if (uncached !== undefined) {
      const uncachedNs = uncached.load.perRequestNs / tokens;
      add('the same, `cache: false` (diagnostic: the rest is keeping each 60 KB answer in the memory cache)', `${floorNs.toFixed(0)} ns`, `${uncachedNs.toFixed(0)} ns`, `${f2(uncachedNs / floorNs)}x`, '-', undefined);
    }
  }
  const floorCancel: CancelCaseResult | undefined = of(results, 'c-between/floor', 'cancel');
  const pipeCancel: CancelCaseResult | undefined = of(results, 'c-between/pipeline', 'cancel');
  if (floorCancel !== undefined && pipeCancel !== undefined) {
    const ratio = pipeCancel.toLastTeardownNs.p50 / floorCancel.toLastTeardownNs.p50;
    add('cancel between tokens -> expert teardown, median', `${f1(floorCancel.toLastTeardownNs.p50 / 1000)} us`, `${f1(pipeCancel.toLastTeardownNs.p50 / 1000)} us`, `${f2(ratio)}x`, '<= 1.3x', ratio <= FLOOR_TARGETS.cancelRatio);
  }
  const floorHeld: InFlightCaseResult | undefined = of(results, 'f-in-flight/floor', 'in-flight');
  const pipeHeld: InFlightCaseResult | undefined = of(results, 'f-in-flight/pipeline', 'in-flight');
  if (pipeHeld !== undefined) {
    const kb = (bytes: number): string => `${f1(bytes / 1024)} KB`;
    add(`heap per in-flight request (3 stalled experts, ${pipeHeld.inFlight.toLocaleString('en-US')} in flight)`,
      floorHeld === undefined ? '-' : kb(floorHeld.heapPerRequestBytes), kb(pipeHeld.heapPerRequestBytes), kb(pipeHeld.heapPerRequestBytes), '<= 10 KB',
      pipeHeld.heapPerRequestBytes <= FLOOR_TARGETS.heapBytes);
    add(`\`cancel(id)\` with ${pipeHeld.inFlight.toLocaleString('en-US')} others in flight, median (to its \`cancelled\` event)`,
      floorHeld === undefined ? '-' : `${f1(floorHeld.cancelOneNs.p50 / 1000)} us (\`abort()\`)`, `${f1(pipeHeld.cancelOneNs.p50 / 1000)} us`,
      `${f1(pipeHeld.cancelOneNs.p50 / 1000)} us (p99 ${f1(pipeHeld.cancelOneNs.p99 / 1000)} us)`, '<= 50 us', pipeHeld.cancelOneNs.p50 <= FLOOR_TARGETS.cancelOneNs);
    add(`\`cancelAll()\` of ${pipeHeld.cancelAll.requests.toLocaleString('en-US')} in flight, to the last \`cancelled\``,
      floorHeld === undefined ? '-' : `${f1(floorHeld.cancelAll.ms)} ms`, `${f1(pipeHeld.cancelAll.ms)} ms`,
      `${f1(pipeHeld.cancelAll.ms)} ms${pipeHeld.cancelAll.missing > 0 ? `, ${pipeHeld.cancelAll.missing} got none` : ''}`, '< 300 ms',
      pipeHeld.cancelAll.ms < FLOOR_TARGETS.cancelAllMs && pipeHeld.cancelAll.missing === 0);
  }
  const hits: CacheHitCaseResult | undefined = of(results, 'i-cache-hit/pipeline', 'cache-hit');
  if (hits !== undefined) {
    add('cache-hit path, memory cache, sequential', '-', `${f1(hits.load.perRequestNs / 1000)} us per request`,
      `${Math.round(hits.requestsPerSecond).toLocaleString('en-US')} req/s`, '>= 50,000 req/s', hits.requestsPerSecond >= FLOOR_TARGETS.cacheHitsPerSecond);
  }
  const guard: GuardCaseResult | undefined = of(results, 'd-guard-latency/pipeline', 'guard');
  const words = guard?.streams.find((stream) => stream.stream === 'words/words');
  if (words !== undefined) {
    add('streaming guard cost per token (word tokens)', '-', `${words.pushNsPerToken.p50.toFixed(0)} ns`, `${(words.pushNsPerToken.p50 / 1000).toFixed(2)} us`, '<= 0.3 us',
      words.pushNsPerToken.p50 <= FLOOR_TARGETS.guardNsPerWordToken);
  }
  if (rows.length === 0) return [];
  return [
    '## The lean core against the plain floor',
    '',
    'The floor (bench/floor) is a plain hand-written async/await implementation doing only what the workload needs:',
    'each expert is an async generator of tokens consumed with `for await`, every token goes to the consumer as a',
    '`token` event, the answer is the first expert\'s text, one AbortController per request. No validation, routing,',
    'cache, deadlines, retries, guard, scoring or metrics: all of that is the pipeline\'s cost here. In the time',
    'comparisons the pipeline\'s experts are Observables over the SAME async generators, so both sides pay the same',
    'for the tokens\' arrival. The pipeline runs with its defaults (memory cache with distinct prompts, deadlines armed)',
    'except as the row says. The same-work comparison with the hand-written baseline (which does run the guard and the',
    'scorer) follows in (a)-(c).',
    '',
    '| figure | floor | pipeline | measured | target | result |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...rows,
  ];
};
