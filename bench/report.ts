/** Renders the bench results as the generated part of BENCHMARKS.md. */
import type { Hotspots } from './profile';
import { floorSection } from './report-floor';
import type { CancelCaseResult, CaseResult, GuardCaseResult, RequestCaseResult, ScaleOutCaseResult } from './result';
import type { Summary } from './stats';

/** Where and when the numbers were taken. */
export interface Environment {
  readonly cpu: string; readonly cores: number; readonly memoryGiB: number; readonly os: string;
  readonly node: string; readonly rxjs: string; readonly typescript: string; readonly tsx: string;
  readonly date: string; readonly mode: string;
  /** 1-minute load average before and after the run: other work on the machine skews the numbers. */
  readonly load: readonly [number, number];
  /** CPU used by everything but the bench during the run, in cores (0.5 = half of one core). */
  readonly otherCpuShare: number;
  /** How the TS ran: through tsx, or compiled by tsc. */
  readonly runtime: string;
}

/** Targets (DESIGN section 8 and the bench brief). */
export const TARGETS = { requestRatio: 3, perTokenNs: 1000, cancelMedianUs: 50, guardWordP99Tokens: 1 } as const;

/** One target's verdict, for the summary. */
export interface Verdict { readonly target: string; readonly measured: string; readonly pass: boolean }

const us = (ns: number): string => (ns / 1000).toFixed(ns < 10_000 ? 2 : ns < 100_000 ? 1 : 0);
const ms = (ns: number): string => (ns / 1e6).toFixed(2);
const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;
const mark = (pass: boolean): string => (pass ? 'pass' : '**MISS**');
/** A markdown table cell: pipes escaped, long names (the redactor's combined regexes) cut. */
const cell = (text: string, max = 80): string => (text.length > max ? `${text.slice(0, max - 3)}...` : text).replace(/\|/g, '\\|');

const requestResult = (results: ReadonlyMap<string, CaseResult>, name: string, impl: string): RequestCaseResult | undefined => {
  const result = results.get(`${name}/${impl}`);
  return result?.kind === 'requests' ? result : undefined;
};

const cancelResult = (results: ReadonlyMap<string, CaseResult>, name: string, impl: string): CancelCaseResult | undefined => {
  const result = results.get(`${name}/${impl}`);
  return result?.kind === 'cancel' ? result : undefined;
};

/** Every run of each case/impl when the bench ran more than once (`--repeat`). */
type Runs = ReadonlyMap<string, readonly CaseResult[]>;

const requestRuns = (runs: Runs, name: string, impl: string): RequestCaseResult[] =>
  (runs.get(`${name}/${impl}`) ?? []).filter((r): r is RequestCaseResult & CaseResult => r.kind === 'requests');

/** ` (lo-hi over n runs)` of `figure` per repetition (pipeline run i against baseline run i), or '' for a single run. */
const spread = (runs: Runs, name: string, baseName: string, figure: (pipe: RequestCaseResult, base: RequestCaseResult) => number, digits: number, unit: string): string => {
  const pipes = requestRuns(runs, name, 'pipeline');
  const bases = requestRuns(runs, baseName, 'baseline');
  const n = Math.min(pipes.length, bases.length);
  if (n < 2) return '';
  const values = Array.from({ length: n }, (_, i) => figure(pipes[i]!, bases[i]!));
  return ` (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}${unit} over ${n} runs)`;
};

/** Case (a) rows: [case name, baseline case name, label]. */
export const FAN_OUT_ROWS: readonly (readonly [string, string, string])[] = [
  ['a-seq', 'a-seq', 'sync (simulatedExpert, 0 ms) | 1 (sequential) | distinct prompts, default memoryCache'],
  ['a-seq-nocache', 'a-seq', 'sync (simulatedExpert, 0 ms) | 1 (sequential) | `cache: false`'],
  ['a-64', 'a-64', 'sync (simulatedExpert, 0 ms) | 64 | distinct prompts, default memoryCache'],
  ['a-seq-microtask', 'a-seq-microtask', 'one token per microtask | 1 (sequential) | distinct prompts, default memoryCache'],
  ['a-64-microtask', 'a-64-microtask', 'one token per microtask | 64 | distinct prompts, default memoryCache'],
];

const fanOutSection = (results: ReadonlyMap<string, CaseResult>, runs: Runs, verdicts: Verdict[]): string[] => {
  const lines = [
    '## (a) 3 experts x 100 zero-delay tokens, fuse `best`, default guard',
    '',
    'Time per request in microseconds. `mean` = wall time / requests (at 64 in flight: the inverse of throughput);',
    '`p50`/`p99` = each request\'s own latency from start to terminal event (at 64 in flight it includes waiting',
    'behind the other 63). Ratio = pipeline mean / baseline mean. Every request has its own prompt, so the',
    'default cache never hits (each request still computes its key, looks up, misses and writes).',
    '',
    '| tokens arrive | in flight | cache | pipeline mean | p50 | p99 | baseline mean | p50 | p99 | ratio | requests (pipe / base) | target <= 3x |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const header = lines.length;
  for (const [name, baseName, label] of FAN_OUT_ROWS) {
    const pipe = requestResult(results, name, 'pipeline');
    const base = requestResult(results, baseName, 'baseline');
    if (pipe === undefined || base === undefined) continue;
    const ratio = pipe.load.perRequestNs / base.load.perRequestNs;
    const pass = ratio <= TARGETS.requestRatio;
    const range = spread(runs, name, baseName, (p, b) => p.load.perRequestNs / b.load.perRequestNs, 2, 'x');
    verdicts.push({ target: `(a) ${label.split(' | ').join(', ')}: pipeline within 3x of baseline per request`, measured: `${ratio.toFixed(2)}x${range}`, pass });
    lines.push(`| ${label} | ${us(pipe.load.perRequestNs)} | ${us(pipe.load.latencyNs.p50)} | ${us(pipe.load.latencyNs.p99)} | ${us(base.load.perRequestNs)} | ${us(base.load.latencyNs.p50)} | ${us(base.load.latencyNs.p99)} | ${ratio.toFixed(2)}x${range} | ${pipe.load.requests} / ${base.load.requests} | ${mark(pass)} |`);
  }
  const pipe = requestResult(results, 'a-seq-noguard', 'pipeline');
  const base = requestResult(results, 'a-seq-noguard', 'baseline');
  if (lines.length === header && (pipe === undefined || base === undefined)) return []; // no case (a) in this run (--only)
  if (pipe !== undefined && base !== undefined) {
    const ratio = pipe.load.perRequestNs / base.load.perRequestNs;
    lines.push(`| _diagnostic: as row 1 with \`noGuard\` on both sides_ | | | ${us(pipe.load.perRequestNs)} | ${us(pipe.load.latencyNs.p50)} | ${us(pipe.load.latencyNs.p99)} | ${us(base.load.perRequestNs)} | ${us(base.load.latencyNs.p50)} | ${us(base.load.latencyNs.p99)} | ${ratio.toFixed(2)}x | ${pipe.load.requests} / ${base.load.requests} | (no target) |`,
      '', `Without the redactor's work (diagnostic row) the pipeline's own cost per request is ${us(pipe.load.perRequestNs - base.load.perRequestNs)} us over the baseline's.`);
  }
  return lines;
};

const perTokenSection = (results: ReadonlyMap<string, CaseResult>, runs: Runs, verdicts: Verdict[]): string[] => {
  const pipe = requestResult(results, 'b-per-token', 'pipeline');
  const base = requestResult(results, 'b-per-token', 'baseline');
  if (pipe === undefined || base === undefined) return [];
  const tokens = pipe.workload.tokensPerExpert * pipe.workload.experts;
  const cost = (pipe.load.perRequestNs - base.load.perRequestNs) / tokens;
  const pass = cost < TARGETS.perTokenNs;
  const range = spread(runs, 'b-per-token', 'b-per-token', (p, b) => (p.load.perRequestNs - b.load.perRequestNs) / tokens, 0, ' ns');
  verdicts.push({ target: '(b) pipeline cost per token < 1 us', measured: `${cost.toFixed(0)} ns${range}`, pass });
  const bare = { pipe: requestResult(results, 'b-per-token-noguard', 'pipeline'), base: requestResult(results, 'b-per-token-noguard', 'baseline') };
  const both = bare.pipe !== undefined && bare.base !== undefined;
  const row = (label: string, f: (r: RequestCaseResult) => string): string =>
    `| ${label} | ${f(pipe)} | ${f(base)} |${both ? ` ${f(bare.pipe!)} | ${f(bare.base!)} |` : ''}`;
  const lines = [
    `## (b) 1 expert x ${tokens.toLocaleString('en-US')} zero-delay tokens, sequential`,
    '',
    `| | pipeline | baseline |${both ? ' pipeline, `noGuard` (diagnostic) | baseline, `noGuard` (diagnostic) |' : ''}`,
    `| --- | ---: | ---: |${both ? ' ---: | ---: |' : ''}`,
    row('time per request, mean (ms)', (r) => ms(r.load.perRequestNs)),
    row('time per request, p50 / p99 (ms)', (r) => `${ms(r.load.latencyNs.p50)} / ${ms(r.load.latencyNs.p99)}`),
    row('raw time per token (ns)', (r) => (r.load.perRequestNs / tokens).toFixed(0)),
    row('requests measured', (r) => String(r.load.requests)),
    '',
    `**Pipeline cost per token** = (pipeline - baseline) / ${tokens} = **${cost.toFixed(0)} ns**${range} (target < 1000 ns: ${mark(pass)}).`,
    'The per-request overhead is included, spread over the tokens. Same prompts scheme as (a): the default cache',
    'misses, and stores each 60 kB answer (up to 1000 of them).',
  ];
  if (both) {
    const bareCost = (bare.pipe!.load.perRequestNs - bare.base!.load.perRequestNs) / tokens;
    lines.push('', `With \`noGuard\` on both sides (diagnostic) the pipeline costs ${bareCost.toFixed(0)} ns per token over the baseline.`);
  }
  return lines;
};

const cancelSection = (results: ReadonlyMap<string, CaseResult>, runs: Runs, verdicts: Verdict[]): string[] => {
  const lines = [
    '## (c) cancel to expert teardown',
    '',
    '3 experts x 100 tokens, one token every 1 ms from a real timer (`simulatedExpert({ firstTokenDelayMs: 1, tokenDelayMs: 1 })`',
    'for the pipeline, `setInterval` for the baseline), 8 requests at a time. Microseconds from the `plugin.cancel(id)`',
    '(baseline: `controller.abort()`) call to the moment the expert\'s teardown has run (probe: `finalize` on the expert\'s',
    'stream; baseline: right after `clearInterval` in the abort listener). "between tokens": the cancel comes from a',
    '`setTimeout` at a seeded random moment 2-40 ms in; "inside a token callback": the consumer cancels when the k-th',
    'token event arrives (k seeded random, 3-152).',
    '',
    '| cancel lands | impl | cancels | to last expert teardown p50 | p99 | to first teardown p50 | to `cancelled` event p50 | p99 | target p50 < 50 us |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const header = lines.length;
  for (const [name, label] of [['c-between', 'between tokens'], ['c-inside', 'inside a token callback']] as const) {
    for (const impl of ['pipeline', 'baseline'] as const) {
      const r = cancelResult(results, name, impl);
      if (r === undefined) continue;
      const pass = r.toLastTeardownNs.p50 / 1000 < TARGETS.cancelMedianUs;
      const medians = (runs.get(`${name}/${impl}`) ?? []).flatMap((run) => (run.kind === 'cancel' ? [run.toLastTeardownNs.p50] : []));
      const range = medians.length < 2 ? '' : ` (${us(Math.min(...medians))}-${us(Math.max(...medians))} over ${medians.length} runs)`;
      if (impl === 'pipeline') verdicts.push({ target: `(c) ${label}: median cancel-to-teardown < 50 us`, measured: `${us(r.toLastTeardownNs.p50)} us${range}`, pass });
      lines.push(`| ${label} | ${impl} | ${r.samples} | ${us(r.toLastTeardownNs.p50)}${range} | ${us(r.toLastTeardownNs.p99)} | ${us(r.toFirstTeardownNs.p50)} | ${us(r.toCancelledEventNs.p50)} | ${us(r.toCancelledEventNs.p99)} | ${impl === 'pipeline' ? mark(pass) : '(reference)'} |`);
    }
  }
  if (lines.length === header) return []; // no case (c) in this run (--only)
  const counts = (['c-between', 'c-inside'] as const).map((name) => cancelResult(results, name, 'pipeline'))
    .filter((r): r is CancelCaseResult => r !== undefined)
    .map((r) => `${r.case}: ${r.teardowns} teardowns probed for ${r.samples} cancels x ${r.experts} experts, simulatedExpert stats.cancelled +${r.expertStatsCancelled ?? '?'}`);
  if (counts.length > 0) lines.push('', `Teardown reached every expert (pipeline): ${counts.join('; ')}.`);
  return lines;
};

/** The stream of case (d) the token-delay target applies to: the simulated experts' word tokens. */
const GUARD_WORD_STREAM = 'words/words';

const guardSection = (results: ReadonlyMap<string, CaseResult>, runs: Runs, verdicts: Verdict[]): string[] => {
  const found = results.get('d-guard-latency/pipeline');
  if (found?.kind !== 'guard') return [];
  const r: GuardCaseResult = found;
  const words = r.streams.find((s) => s.stream === GUARD_WORD_STREAM);
  const maxHeld = Math.max(...r.streams.map((s) => s.heldChars.max));
  const pass = Number.isFinite(r.maxHoldBack) && maxHeld <= r.maxHoldBack && words !== undefined && words.tokenDelay.p99 <= TARGETS.guardWordP99Tokens;
  verdicts.push({
    target: '(d) guard hold-back bounded by the window: max held <= maxHoldBack on every stream, p99 delay <= 1 token on the experts\' word tokens',
    measured: `max held ${maxHeld} chars (maxHoldBack ${r.maxHoldBack}); word tokens: p99 delay ${words?.tokenDelay.p99 ?? '?'} token${words?.tokenDelay.p99 === 1 ? '' : 's'}`,
    pass,
  });
  const medians = (runs.get('d-guard-latency/pipeline') ?? []).flatMap((run) => (run.kind === 'guard' ? [run.streams[0]?.pushNsPerToken.p50 ?? Number.NaN] : []));
  const f2 = (n: number): string => n.toFixed(2);
  const lines = [
    '## (d) the default guard\'s streaming redactor: hold-back and cost per token',
    '',
    '`defaultGuard().open()` alone (no pipeline, no baseline), on three texts, each as word tokens (with their leading',
    'whitespace, as `simulatedExpert` splits) and as LLM-like sub-word pieces of 2-5 characters (seeded):',
    '',
    '- **experts\' answer (b)**: the 10,000-word answer of case (b), what the simulated experts stream;',
    '- **prose + secrets**: 6,000 words with a secret every 20-60 words: e-mails, API keys (`sk-proj-`, `ghp_`, `AKIA`,',
    '  `sk_live_`), `api_key=` and `"client_secret": "..."` assignments, bearer tokens, card numbers (1 in 10 fails Luhn',
    '  and is kept);',
    '- **prose + private-key blocks**: 4,000 words with an RSA private-key block (25 lines of 64, ~1.7 kB) every 300-500 words.',
    '',
    'The texts are built from plain and secret segments, so where each output character comes from is known; every',
    'stream\'s output equals `guard.apply(text)` (checked).',
    '',
    '- **delay in tokens**, per emitted character: pushes between the one that brought the character and the one that',
    '  emitted it (`flush()`, at the end, counts as one more push). A replacement (`[REDACTED:...]`) counts from the',
    '  push that brought the secret\'s last character, so a long secret shows in "held", not here.',
    '- **delay in chars**: input characters that arrived after the character before it was emitted.',
    '- **held**: after each push, input characters received and not yet emitted (or replaced).',
    `- **maxHoldBack** = ${r.maxHoldBack}: probed, the most the redactor held before releasing an unterminated`,
    '  `-----BEGIN PRIVATE KEY-----` streamed one character per push (beyond it held text is released as if the source ended).',
    '',
    '| stream | tokens | chars in / out | secrets | delay in tokens: mean | p50 | p99 | max | delay in chars: mean | p99 | max | held after a push: mean | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.streams.map((s) => `| ${cell(s.label, 200)} | ${s.tokens} | ${s.chars} / ${s.outputChars} | ${s.redactions} | ${f2(s.tokenDelay.mean)} | ${s.tokenDelay.p50} | ${s.tokenDelay.p99} | ${s.tokenDelay.max} | ${f2(s.charDelay.mean)} | ${s.charDelay.p99} | ${s.charDelay.max} | ${f2(s.heldChars.mean)} | ${s.heldChars.p99} | ${s.heldChars.max} |`),
    '',
    `Target: held <= maxHoldBack (${r.maxHoldBack}) on every stream (max ${maxHeld}) and p99 delay <= 1 token on the experts' word tokens: ${mark(pass)}.`,
    '',
    `CPU cost of \`push()\`: after ${r.warmupRounds} warm-up rounds, rounds of one pass per stream (a fresh redactor, every push and`,
    'the flush, timed as a whole) for the budget; ns per token of each pass.',
    '',
    '| stream | ns per token: median pass | mean | min | max | ns per input char | passes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.streams.map((s) => `| ${cell(s.label, 200)} | ${s.pushNsPerToken.p50.toFixed(0)} | ${s.pushNsPerToken.mean.toFixed(0)} | ${s.pushNsPerToken.min.toFixed(0)} | ${s.pushNsPerToken.max.toFixed(0)} | ${s.nsPerChar.toFixed(0)} | ${s.pushNsPerToken.n} |`),
  ];
  if (medians.length > 1) lines.push('', `First stream, median pass over ${medians.length} runs: ${Math.min(...medians).toFixed(0)}-${Math.max(...medians).toFixed(0)} ns per token.`);
  return lines;
};

/** Case (e): figures only, no target (issue 7 item 4 asks for the numbers). */
const scaleOutSection = (results: ReadonlyMap<string, CaseResult>, runs: Runs): string[] => {
  const found = results.get('e-scale-out/pipeline');
  if (found?.kind !== 'scale-out') return [];
  const r: ScaleOutCaseResult = found;
  const { cancel, flight } = r;
  const m2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '?');
  const row = (label: string, s: Summary): string => `| ${label} | ${s.n} | ${m2(s.p50)} | ${m2(s.p99)} | ${m2(s.mean)} | ${m2(s.min)} | ${m2(s.max)} |`;
  const names = ['A', 'B', 'C'];
  const all = (runs.get('e-scale-out/pipeline') ?? []).flatMap((run) => (run.kind === 'scale-out' ? [run] : []));
  const range = (figure: (run: ScaleOutCaseResult) => number): string => {
    if (all.length < 2) return '';
    const values = all.map(figure);
    return ` (${m2(Math.min(...values))}-${m2(Math.max(...values))} over ${all.length} runs)`;
  };
  const stamped = flight.firstTokenStampedBy === 'replica'
    ? 'the `at` the replica put on its event line (shared clock)'
    : 'the moment the bench process parsed the line (replica.ts\'s event lines carry no timestamp)';
  return [
    '## (e) scale-out on Redis',
    '',
    `${r.replicas} replica processes (spec/support/replica.ts, run through tsx: each a \`DialoguePlugin\` with ${r.experts} \`simulatedExpert\`s, first`,
    `token after ${r.expertFirstTokenMs} ms then one every ${r.expertTokenMs} ms, \`redisCache\` and \`redisCoordinator\`) on one Redis (${r.redis}), driven over their`,
    'stdin/stdout by the case process (spec/support/replica-cluster.ts); started by the case and stopped at its end, with the',
    `run's Redis keys (${r.keysLeftAfterStop === null ? 'private server: stopped' : `${r.keysLeftAfterStop} left after the stop`}). Milliseconds. No target: issue 7 item 4 asks for the figures.`,
    '',
    `**Cancel across replicas.** ${cancel.samples} samples after ${cancel.warmup} warm-up ones, one at a time (\`measureCancelLatency\`): a long`,
    'request runs on replica A; after its first token, `cancel(id)` on replica B; from that call (B\'s timestamp) to the experts\'',
    'teardown on A (A\'s timestamps), both taken inside the replicas with `performance.timeOrigin + performance.now()`, one',
    'clock for the processes of a machine.',
    '',
    '| | samples | p50 | p99 | mean | min | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('cancel on B -> last expert torn down on A', cancel.toLastTeardownMs),
    `| cancel on B -> first expert torn down on A | ${cancel.samples} | ${m2(cancel.toFirstTeardownMs.p50)} | ${m2(cancel.toFirstTeardownMs.p99)} | | | |`,
    '',
    `Experts still active on A afterwards: ${cancel.activeExpertsAfter}.${range((run) => run.cancel.toLastTeardownMs.p50) === '' ? '' : ` Median to the last teardown${range((run) => run.cancel.toLastTeardownMs.p50)}.`}`,
    '',
    `**Single flight across replicas.** ${flight.prompts} new prompts (after ${flight.warmup} warm-up ones), one at a time, each sent to A, B and C at`,
    'once (three stdin writes in one tick, A first). The replica whose experts started (`stats.started` of each replica, read',
    'before and after the prompt) led, the others followed its log in Redis. Time to first token (TTFT) per replica: from just',
    `before the bench wrote the \`process\` command to its stdin to its first \`token\` event, taken at ${stamped}.`,
    ...(flight.firstTokenStampedBy === 'replica' ? ['Every figure includes the stdin hop; follower - leader cancels it.']
      : ['Every figure includes the pipe hops both ways and the bench process\'s own scheduling among the busy processes of the',
        'machine; follower - leader cancels the hops, not that jitter, which is of the order of the difference itself.']),
    'A difference is negative when the follower\'s first token came first. The leader\'s TTFT includes the experts\' first-token',
    `delay (${r.expertFirstTokenMs} ms) and, as the default guard releases a word when the next token arrives (see (d)), one token interval (${r.expertTokenMs} ms).`,
    '',
    '| | samples | p50 | p99 | mean | min | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('leader TTFT', flight.leaderTtftMs),
    row('follower TTFT (both followers)', flight.followerTtftMs),
    row('**follower TTFT - leader TTFT** (each follower)', flight.followerOverheadMs),
    row('later follower - leader (per prompt)', flight.slowerFollowerOverheadMs),
    row('cross-check: follower - leader from the replicas\' own `metrics.ttft` (`Date.now()`, whole ms)', flight.metricsTtftMs.followerOverhead),
    '',
    `Leader: ${flight.leaderCounts.map((n, k) => `${names[k] ?? `#${k}`} ${n}`).join(', ')} of ${flight.prompts} prompts${flight.noSingleLeader > 0 ? `; ${flight.noSingleLeader} without exactly one leader (left out above)` : ''}.`,
    `Experts started across the cluster: ${flight.expertsStarted} for ${flight.prompts} prompts x ${r.experts} experts (${flight.promptsStartedOnce} of ${flight.prompts} prompts started exactly ${r.experts}; per prompt ${flight.startedPerPrompt.min}-${flight.startedPerPrompt.max}).`,
    `All three replicas completed: ${flight.allComplete} of ${flight.prompts} prompts; with the same final text: ${flight.sameText} of ${flight.prompts}.${range((run) => run.flight.followerOverheadMs.p50) === '' ? '' : ` Median follower - leader${range((run) => run.flight.followerOverheadMs.p50)}.`}`,
    '',
    `Wall time: ${(r.wallMs.start / 1000).toFixed(1)} s to start Redis and the replicas, ${(r.wallMs.cancel / 1000).toFixed(1)} s of cancels, ${(r.wallMs.flight / 1000).toFixed(1)} s of prompts, ${(r.wallMs.stop / 1000).toFixed(1)} s to stop.`,
    `CPU outside the case process: replicas ${(r.helperCpuMs.replicasMs / 1000).toFixed(1)} s (start-up included), Redis ${(r.helperCpuMs.redisMs / 1000).toFixed(1)} s${r.redis.startsWith('shared') ? ' (the whole server)' : ''}; counted as the bench's in "other load".`,
  ];
};

const sameWorkSection = (results: ReadonlyMap<string, CaseResult>): string[] => {
  const lines = [
    '## Same work check',
    '',
    'One request per case, after warm-up, as the consumer saw it. Token events can differ in count only where the',
    'redactor splits differently (it does not here); the streamed characters and the final text must match.',
    '',
    '| case | pipeline events / tokens / token chars | baseline events / tokens / token chars | final text identical |',
    '| --- | --- | --- | --- |',
  ];
  let rows = 0;
  for (const name of ['a-seq', 'a-seq-microtask', 'a-seq-noguard', 'b-per-token', 'b-per-token-noguard']) {
    const pipe = requestResult(results, name, 'pipeline');
    const base = requestResult(results, name, 'baseline');
    if (pipe === undefined || base === undefined) continue;
    const show = (r: RequestCaseResult): string => `${r.check.events} / ${r.check.tokens} / ${r.check.tokenChars}`;
    rows++;
    lines.push(`| ${name} | ${show(pipe)} | ${show(base)} | ${pipe.check.text === base.check.text && pipe.check.tokenChars === base.check.tokenChars ? 'yes' : '**NO**'} |`);
  }
  if (rows === 0) return []; // no case (a) or (b) in this run (--only)
  lines.push('', 'The pipeline sends 3 more events per request than the baseline: `plan`, `cache` and `metrics` (the baseline',
    'sends `start`, the tokens, one `expert` per expert and `complete`).');
  return lines;
};

/**
 * A profiled run: its hotspots, and the time per request (or per token) of the same case and
 * implementation in the timed, unprofiled run, which the shares are applied to.
 */
export interface ProfiledRun { readonly label: string; readonly file: string; readonly hotspots: Hotspots; readonly measuredNs: number; readonly unit: 'request' | 'token' }

const perUnit = (run: ProfiledRun, share: number): string => {
  const ns = run.measuredNs * share;
  return run.unit === 'request' ? us(ns) : ns.toFixed(0);
};

const unitLabel = (run: ProfiledRun): string => (run.unit === 'request' ? 'us per request' : 'ns per token');

const componentTable = (runs: readonly ProfiledRun[]): string[] => {
  const names = [...new Set(runs.flatMap((run) => run.hotspots.components.map((c) => c.name)))];
  const shareOf = (run: ProfiledRun, name: string): number => run.hotspots.components.find((c) => c.name === name)?.self ?? 0;
  names.sort((a, b) => shareOf(runs[0]!, b) * runs[0]!.hotspots.busyMs - shareOf(runs[0]!, a) * runs[0]!.hotspots.busyMs);
  const lines = [
    `| component | ${runs.map((run) => `${run.label}: share | ${unitLabel(run)}`).join(' | ')} |`,
    `| --- | ${runs.map(() => '---: | ---:').join(' | ')} |`,
  ];
  for (const name of names) {
    lines.push(`| ${cell(name)} | ${runs.map((run) => `${pct(shareOf(run, name))} | ${perUnit(run, shareOf(run, name))}`).join(' | ')} |`);
  }
  lines.push(`| **total** (= the timed run's mean) | ${runs.map((run) => `100% | ${perUnit(run, 1)}`).join(' | ')} |`);
  return lines;
};

const hotspotSection = (profiles: readonly ProfiledRun[]): string[] => {
  if (profiles.length === 0) return [];
  const lines = [
    '## CPU profiles',
    '',
    'Sampled every 100 us through the inspector, from after module loading (warm-up included) to the end of the case,',
    'in a separate run of the case (the timed runs above are not profiled; sampling adds some overhead). Shares are of',
    'busy samples (idle and `(program)` excluded). The per-request (per-token) column applies each share to the mean',
    'time per request (per token) of the timed run above: an attribution of the measured time, approximate.',
    '',
    '### Where the time goes, by component',
    '',
    'Time in native code (the regex engine, builtins) is charged to the JS function that called it.',
    '',
  ];
  const requests = profiles.filter((run) => run.unit === 'request');
  const tokens = profiles.filter((run) => run.unit === 'token');
  if (requests.length > 0) lines.push(...componentTable(requests), '');
  if (tokens.length > 0) lines.push(...componentTable(tokens), '');
  lines.push(
    '### Top functions',
    '',
    '`self` = samples in the function itself, `total` = samples with it on the stack. Positions in `src/` and `bench/` are',
    'mapped back to the TS source; an anonymous function is named `enclosing declaration › the code where it starts`.',
    'The two `RegExp:` rows are the redactor\'s combined finder and tail patterns.',
  );
  for (const run of profiles) {
    lines.push('', `#### ${run.label} (${run.file}, ${run.hotspots.busyMs.toFixed(0)} ms busy)`, '', '| function | where | self | total |', '| --- | --- | ---: | ---: |');
    for (const f of run.hotspots.functions) lines.push(`| \`${cell(f.name)}\` | ${cell(f.where)} | ${pct(f.self)} | ${pct(f.total)} |`);
  }
  return lines;
};

/** The generated markdown (between the markers in BENCHMARKS.md) and the verdicts. */
export const renderReport = (env: Environment, results: ReadonlyMap<string, CaseResult>, profiles: readonly ProfiledRun[], runs: Runs = new Map()): { markdown: string; verdicts: Verdict[] } => {
  const verdicts: Verdict[] = [];
  // Sections without results (not run: --only) are left out.
  const body = [
    floorSection(results, verdicts),
    fanOutSection(results, runs, verdicts),
    perTokenSection(results, runs, verdicts),
    cancelSection(results, runs, verdicts),
    guardSection(results, runs, verdicts),
    scaleOutSection(results, runs),
    sameWorkSection(results),
    hotspotSection(profiles),
  ].filter((section) => section.length > 0).flatMap((section, i) => (i === 0 ? section : ['', ...section]));
  const lines = [
    `_Generated by \`npm run bench\` on ${env.date} (${env.mode}). Each case and implementation ran in a fresh process,`,
    `one after another; each warmed up (${env.mode.startsWith('full') ? 'at least 200 requests and 1.5 s' : 'briefly'}) before its measured run._`,
    ...(env.mode.startsWith('quick') ? ['', '**Smoke run: little warm-up and short budgets, so the numbers only show that every case runs; do not compare them.**'] : []),
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${env.cpu}, ${env.cores} cores |`,
    `| memory | ${env.memoryGiB.toFixed(1)} GiB |`,
    `| OS | ${env.os} |`,
    `| Node | ${env.node} |`,
    `| packages | rxjs ${env.rxjs}, typescript ${env.typescript}, tsx ${env.tsx} |`,
    `| code | ${env.runtime} |`,
    `| other load | load average (1 min) ${env.load[0].toFixed(2)} before, ${env.load[1].toFixed(2)} after; processes other than the bench used ${env.otherCpuShare.toFixed(2)} cores on average during the run${env.otherCpuShare > 0.25 ? ' (**busy machine: numbers are noisier than usual**)' : ''} |`,
    '',
    '## Targets',
    '',
    '| target | measured | result |',
    '| --- | --- | --- |',
    ...(verdicts.length > 0 ? verdicts.map((v) => `| ${v.target} | ${v.measured} | ${mark(v.pass)} |`) : ['| (none among the cases of this run) | | |']),
    '',
    ...body,
  ];
  return { markdown: lines.join('\n'), verdicts };
};
